"""A real OpenAI-compatible server (llama.cpp + SmolLM2-135M) on loopback, as the
`llm` answer mode will meet it: plain HTTP, SSE streaming, the endpoint going
down and coming back, and llama-index's OpenAILike client against it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from llm_server import run_llama_server, smollm2_gguf_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

QUESTION = "What is the capital of France? Answer in one sentence."


@pytest.fixture
def server(tmp_path):
    with run_llama_server(smollm2_gguf_path(), log_dir=tmp_path) as s:
        yield s


def chat(server, content: str = QUESTION, **extra) -> httpx.Response:
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 64,
        "temperature": 0,
        **extra,
    }
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=60)


def sse_data_lines(server, content: str = QUESTION) -> list[str]:
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 32,
        "temperature": 0,
        "stream": True,
    }
    with httpx.stream(
        "POST", f"{server.base_url}/chat/completions", json=body, timeout=60
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return [
            line[len("data:"):].strip()
            for line in r.iter_lines()
            if line.startswith("data:")
        ]


def test_the_shipped_smollm2_gguf_file_is_found():
    path = smollm2_gguf_path()
    assert path.is_file() and path.suffix == ".gguf"
    assert path.stat().st_size > 50_000_000
    with open(path, "rb") as f:
        assert f.read(4) == b"GGUF"


def test_the_models_endpoint_lists_the_model_name_to_send(server):
    r = httpx.get(f"{server.base_url}/models", timeout=10)
    assert r.status_code == 200
    assert [m["id"] for m in r.json()["data"]] == [server.model]


def test_a_chat_completion_returns_non_empty_text(server):
    t0 = time.monotonic()
    r = chat(server)
    elapsed = time.monotonic() - t0
    assert r.status_code == 200, r.text
    data = r.json()
    text = data["choices"][0]["message"]["content"]
    assert text.strip()
    assert "Paris" in text  # temperature 0: SmolLM2 gets this one right
    assert data["usage"]["completion_tokens"] > 0
    assert elapsed < 30, f"a 64-token answer took {elapsed:.1f}s"


def test_a_streaming_chat_completion_yields_several_sse_chunks_then_done(server):
    data = sse_data_lines(server)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    deltas = [c["choices"][0]["delta"].get("content") or "" for c in chunks]
    assert sum(1 for d in deltas if d) >= 3
    assert "".join(deltas).strip()
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")


def test_after_stop_requests_fail_to_connect_and_after_start_it_answers_again(server):
    port = server.port
    assert chat(server).status_code == 200

    server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        chat(server)

    server.start()
    assert server.running
    assert server.port == port
    assert server.base_url == f"http://127.0.0.1:{port}/v1"
    r = chat(server)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"].strip()


def make_openai_like(server, **kwargs):
    from llama_index.llms.openai_like import OpenAILike

    args = dict(
        model=server.model,
        api_base=server.base_url,
        api_key="none",
        is_chat_model=True,
        context_window=2048,
        max_tokens=64,
        temperature=0.0,
        timeout=30.0,
        max_retries=0,
    )
    args.update(kwargs)
    return OpenAILike(**args)


def test_openailike_chat_returns_an_answer_from_the_server(server):
    from llama_index.core.llms import ChatMessage

    llm = make_openai_like(server)
    response = llm.chat(
        [
            ChatMessage(role="system", content="Answer briefly."),
            ChatMessage(role="user", content=QUESTION),
        ]
    )
    assert response.message.content.strip()
    assert "Paris" in response.message.content


def test_openailike_stream_chat_yields_several_deltas(server):
    from llama_index.core.llms import ChatMessage

    llm = make_openai_like(server)
    responses = list(llm.stream_chat([ChatMessage(role="user", content=QUESTION)]))
    deltas = [r.delta for r in responses if r.delta]
    assert len(deltas) >= 3
    assert responses[-1].message.content == "".join(deltas)
    assert responses[-1].message.content.strip()


def test_openailike_raises_a_connection_error_while_the_endpoint_is_down(server):
    import openai
    from llama_index.core.llms import ChatMessage

    llm = make_openai_like(server)
    server.stop()
    with pytest.raises(openai.APIConnectionError):
        llm.chat([ChatMessage(role="user", content="hi")])
    server.start()
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content.strip()
