"""A running engine (the chat page) sees what a separate `reportqa ingest` process wrote, in its vector search too.

Embedded Chroma keeps its vector index in the memory of each process; without a re-read, a report ingested by the
CLI beside a running page was found only by keyword search until the page was restarted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from filemakers import make_text

from ingest.pipeline import run_ingest
from rag.engine import Engine

REPO = Path(__file__).resolve().parents[2]
BASE_REPORT = "# 智能仓储观察\n\n## 概况\n\n智能仓储项目在2029年完成部署，订单处理效率提升了百分之三十。\n"
MARS_REPORT = "# 火星温室农业投资观察 2031\n\n## 投资\n\n火星温室农业项目在2031年的投资额达到七百二十亿元，主要用于建设穹顶温室。\n"
MOON_REPORT = "# 月球背面射电天文台简报\n\n## 概况\n\n月球背面射电天文台一期工程于2033年完工，共部署了三百六十台低频天线。\n"


def _ingest_in_another_process(settings) -> None:
    code = (
        "import sys; from pathlib import Path; from rag.settings import Settings; from ingest.pipeline import run_ingest;"
        f"r = run_ingest(Settings(data_dir=Path({str(settings.data_dir)!r}), corpus_dir=Path({str(settings.corpus_dir)!r})));"
        "sys.exit(0 if r.ok else 1)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=300)


def _found_by_vectors(engine: Engine, question: str, title: str) -> bool:
    passages = engine.retrieve(question, k=5).passages
    return any(p.chunk.title == title and p.dense_score is not None for p in passages)


@pytest.mark.slow
def test_a_running_engine_searches_the_vectors_another_process_ingested(make_settings):
    settings = make_settings()
    make_text(settings.corpus_dir / "warehouse.md", BASE_REPORT)
    assert run_ingest(settings).ok
    engine = Engine.from_settings(settings)
    mars = "How much was invested in greenhouse farming on Mars?"
    assert not _found_by_vectors(engine, mars, "火星温室农业投资观察 2031")

    make_text(settings.corpus_dir / "mars.md", MARS_REPORT)
    _ingest_in_another_process(settings)
    assert _found_by_vectors(engine, mars, "火星温室农业投资观察 2031")

    # An ingest in this process afterwards (an upload through the page) is seen as well.
    make_text(settings.corpus_dir / "moon.md", MOON_REPORT)
    assert run_ingest(settings).ok
    assert _found_by_vectors(engine, "How many antennas does the lunar far-side observatory have?",
                             "月球背面射电天文台简报")
    assert _found_by_vectors(engine, mars, "火星温室农业投资观察 2031")

    # And a report another process removed is gone from the vector search.
    (settings.corpus_dir / "mars.md").unlink()
    _ingest_in_another_process(settings)
    assert not _found_by_vectors(engine, mars, "火星温室农业投资观察 2031")
