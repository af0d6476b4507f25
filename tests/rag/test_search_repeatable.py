"""The same question gets the same nearest chunks in every process: the vector search is broad enough that the part
of the HNSW graph Chroma rebuilds on load (in whatever order) does not change what it finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from rag.index.store import ChunkStore
from rag.models import Chunk
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DIM = 48
QUERY = """
import json, sys
import numpy as np
from rag.index.store import ChunkStore
from rag.settings import Settings
store = ChunkStore.open(Settings(data_dir=sys.argv[1]), "random", {dim})
queries = np.random.default_rng(5).standard_normal((40, {dim})).astype(np.float32)
print(json.dumps([[c.id for c, _ in store.query(q, 30)] for q in queries]))
"""


def _nearest_in_a_new_process(data_dir: Path) -> list[list[str]]:
    done = subprocess.run([sys.executable, "-c", QUERY.format(dim=DIM), str(data_dir)], cwd=REPO, check=True,
                          capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_same_question_finds_the_same_chunks_in_every_process(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    store = ChunkStore.open(settings, "random", DIM, create=True)
    vectors = np.random.default_rng(4).standard_normal((1500, DIM)).astype(np.float32)
    chunks = [Chunk(id=f"d-{i}", doc_id="d", index=i, source="r.md", title="r", start=0, end=1, text=f"t{i}")
              for i in range(len(vectors))]
    store.add(chunks, vectors, context=[c.text for c in chunks])
    runs = [_nearest_in_a_new_process(settings.data_dir) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
