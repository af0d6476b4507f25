"""The network benchmark counts a connection that leaves the machine, whatever address family strace shows it in."""

from __future__ import annotations

from eval.bench_network import _connections, _leaves_machine

TRACE = """\
4242  connect(7, {sa_family=AF_INET, sin_port=htons(7860), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
4242  connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
4250  connect(9, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("93.184.216.34")}, 16) = -1 EINPROGRESS
4250  connect(10, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), \
inet_pton(AF_INET6, "2606:4700::6810:85e5", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH
4250  connect(11, {sa_family=AF_INET6, sin6_port=htons(7860), sin6_flowinfo=htonl(0), \
inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0
"""


def test_only_connections_beyond_loopback_count_against_the_target():
    found = _connections(TRACE)
    assert [family for family, _ in found] == ["AF_INET", "AF_UNIX", "AF_INET", "AF_INET6", "AF_INET6"]
    outside = [address for family, address in found if _leaves_machine(family, address)]
    assert outside == ["93.184.216.34", "2606:4700::6810:85e5"]
