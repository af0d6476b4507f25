"""Network benchmark (issue 14, "nothing fetched"): every connection a chat-page session opens, counted by strace.

    python -m eval.bench_network [--index DATA_DIR]

Serves a copy of an index (``--index``, else ``corpus/`` ingested into a temporary folder) with ``reportqa serve``
run under ``strace -f -e trace=connect``, then plays a session against it: the page loaded and three questions asked
in headless Chromium (Debian's ``chromium``), five questions through the API with each turn saved to history, a good
report uploaded and ingested through the page's queue, and the hostile calls of the issue (URLs and foreign paths
given as files to ``/upload``, ``/file=`` and ``/proxy=`` routes naming other hosts, a page image asked of a URL).
Prints every ``connect()`` the server's processes made, by address family, and the ones that left the loopback
interface (target: 0). Needs ``strace`` (Debian's package).
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from eval.bench_page import _questions, index_copy, start_server, stop_server
from eval.pagekit import CHROMIUM, CHROMIUM_ARGS, ask_on_page

# connect(7, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("93.184.216.34")}, 16)
_CONNECT_RE = re.compile(r"connect\(\d+, \{sa_family=(AF_\w+)(?:, sin6?_port=htons\((\d+)\))?(.*?)\}")
_ADDRESS_RE = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
LOOPBACK = ("127.", "::1", "::ffff:127.")
HOSTILE_PATHS = ["http://example.com/r.md", "https://hf.co/report.md", "file:///etc/passwd",
                 "//example.com/share/report.md", "/etc/passwd"]
HOSTILE_ROUTES = ["gradio_api/file=https://hf.co/x.md", "gradio_api/file=http://203.0.113.7/x", "gradio_api/proxy=x"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_network", description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="a data directory to serve a copy of (default: ingest corpus/)")
    args = parser.parse_args(argv)
    if shutil.which("strace") is None:
        raise SystemExit("strace is not installed (apt-get install strace)")
    with tempfile.TemporaryDirectory(prefix="bench-network-") as tmp:
        root = Path(tmp)
        data = index_copy(args.index, root)
        trace = root / "connect.trace"
        server = _serve_traced(data, root, trace)
        try:
            steps = _session(server["url"], root)
        finally:
            stop_server(server["process"])
        connections = _connections(trace.read_text(errors="replace"))
    for step in steps:
        print(f"  {step}")
    seen = Counter(f"{family} {address}".strip() for family, address in connections)
    outside = [(family, address) for family, address in connections if _leaves_machine(family, address)]
    print(f"connect() calls by the server's processes: {sum(seen.values())}"
          + "".join(f"\n  {count} × {target}" for target, count in seen.most_common()))
    print(f"connections beyond loopback: {len(outside)} (target 0)" + "".join(f"\n  {f} {a}" for f, a in outside))


def _serve_traced(data: Path, root: Path, trace: Path) -> dict:
    """``reportqa serve`` under ``strace -f -e trace=connect`` (see ``eval.bench_page.start_server``)."""
    (root / "corpus").mkdir()
    wrapper = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace)]
    return start_server(data, root, wrapper, {"REPORTQA_CORPUS_DIR": str(root / "corpus"),
                                              "GRADIO_TEMP_DIR": str(root / "gradio")})


def _session(url: str, root: Path) -> list[str]:
    """A user's session and the hostile calls; what each step got, one line each."""
    import httpx
    from gradio_client import Client, handle_file
    from playwright.sync_api import sync_playwright

    steps, questions = [], _questions()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(url)
        page.locator("#rq-question textarea").wait_for(timeout=60_000)
        for question in questions[:3]:
            ask_on_page(page, question)
        browser.close()
    steps.append("page loaded in Chromium, 3 questions asked on it")
    client = Client(url, verbose=False)
    conversation = "new"
    for question in questions[3:8]:
        answer = client.predict(question, "", 0, [], [], conversation, api_name="/ask")
        conversation = answer.get("conversation", conversation)
    steps.append(f"5 questions through the API, saved in conversation {conversation}")
    report = root / "uploaded-report.md"
    report.write_text("# 网络测试报告\n\n2031年火星温室农业的总投资额达到七百二十亿元。\n", encoding="utf-8")
    result = client.predict([handle_file(str(report))], api_name="/upload")
    steps.append(f"a report uploaded: saved {result.get('saved')}, failed {result.get('failed')}")
    for path in HOSTILE_PATHS:
        data = {"data": [[{"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "r.md"}]]}
        response = httpx.post(url + "gradio_api/call/upload", json=data, timeout=30)
        steps.append(f"upload of {path}: HTTP {response.status_code}")
    for route in HOSTILE_ROUTES:
        steps.append(f"GET /{route}: HTTP {httpx.get(url + route, timeout=30).status_code}")
    return steps


def _connections(trace: str) -> list[tuple[str, str]]:
    """(address family, address) of every connect() in an strace log."""
    found = []
    for match in _CONNECT_RE.finditer(trace):
        address = _ADDRESS_RE.search(match.group(3) or "")
        found.append((match.group(1), next((a for a in address.groups() if a), "") if address else ""))
    return found


def _leaves_machine(family: str, address: str) -> bool:
    if family in ("AF_UNIX", "AF_NETLINK", "AF_UNSPEC"):
        return False
    return not address.startswith(LOOPBACK)


if __name__ == "__main__":
    main()
