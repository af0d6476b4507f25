"""The external development set's split into a tuning and a held-out half: by document, a partition, deterministic."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from eval.external_split import EXTERNAL_DIR, check_split, document_halves, main, split_lines, write_split

FULL = EXTERNAL_DIR / "questions.jsonl"
TUNE = EXTERNAL_DIR / "questions-tune.jsonl"
HELDOUT = EXTERNAL_DIR / "questions-heldout.jsonl"


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def docs_of(path: Path) -> set[str]:
    return {json.loads(line)["doc"] for line in lines(path)} - {None}


def copy_set(tmp_path: Path) -> Path:
    root = tmp_path / "external"
    shutil.copytree(EXTERNAL_DIR / "docs", root / "docs")
    shutil.copy(FULL, root / "questions.jsonl")
    return root


def test_no_document_has_questions_in_both_halves():
    tune, heldout = docs_of(TUNE), docs_of(HELDOUT)
    assert tune and heldout
    assert not tune & heldout
    assert tune | heldout == {p.name for p in (EXTERNAL_DIR / "docs").iterdir()}


def test_the_two_halves_partition_the_full_set_each_in_its_order():
    full, tune, heldout = lines(FULL), lines(TUNE), lines(HELDOUT)
    assert Counter(tune) + Counter(heldout) == Counter(full)
    assert len(tune) + len(heldout) == len(full)
    position = {line: i for i, line in enumerate(full)}
    for half in (tune, heldout):
        assert [position[line] for line in half] == sorted(position[line] for line in half)


def test_each_source_gives_each_half_an_equal_share_of_its_documents_give_or_take_one():
    halves = document_halves([p.name for p in (EXTERNAL_DIR / "docs").iterdir()])
    for source in ("squad2-", "cmrc-", "drcd-"):
        counts = Counter(half for name, half in halves.items() if name.startswith(source))
        assert abs(counts["tune"] - counts["heldout"]) <= 1


def test_regenerating_the_split_gives_byte_identical_files(tmp_path):
    root = copy_set(tmp_path)
    write_split(root)
    first = {p.name: p.read_bytes() for p in root.glob("questions-*.jsonl")}
    write_split(root)
    assert {p.name: p.read_bytes() for p in root.glob("questions-*.jsonl")} == first
    assert first == {TUNE.name: TUNE.read_bytes(), HELDOUT.name: HELDOUT.read_bytes()}
    assert check_split(EXTERNAL_DIR) == []


def test_the_rule_does_not_depend_on_the_order_documents_are_listed_in():
    names = sorted(p.name for p in (EXTERNAL_DIR / "docs").iterdir())
    assert document_halves(names) == document_halves(list(reversed(names)))


def test_the_rule_on_documents_made_for_the_test(tmp_path):
    root = tmp_path / "set"
    (root / "docs").mkdir(parents=True)
    names = ["squad2-a.md", "squad2-b.md", "squad2-c.md", "cmrc-x.md", "drcd-1.md", "drcd-2.md"]
    for name in names:
        (root / "docs" / name).write_text("# t\n", encoding="utf-8")
    records = [{"id": f"q-{name}", "lang": "en", "type": "fact", "doc": name} for name in names]
    records += [{"id": f"n{i}", "lang": "zh", "type": "unanswerable", "doc": None} for i in range(40)]
    (root / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    split = split_lines(root)
    halves = {json.loads(line)["id"]: half for half, ls in split.items() for line in ls}
    squad = sorted(names[:3], key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    assert [halves[f"q-{n}"] for n in squad] == ["tune", "heldout", "tune"]
    assert halves["q-cmrc-x.md"] == "tune"
    assert sorted(halves[f"q-{n}"] for n in ("drcd-1.md", "drcd-2.md")) == ["heldout", "tune"]
    nulls = [halves[f"n{i}"] for i in range(40)]
    assert 0 < nulls.count("tune") < 40  # the id hash spreads the doc-less questions over both halves


def test_a_document_of_no_known_source_is_an_error():
    with pytest.raises(ValueError, match="no known source"):
        document_halves(["squad2-a.md", "wiki-b.md"])


def test_check_fails_on_an_edited_half_and_passes_after_regenerating(tmp_path, capsys):
    root = copy_set(tmp_path)
    assert main(["--dir", str(root)]) == 0
    assert main(["--dir", str(root), "--check"]) == 0
    tune = root / "questions-tune.jsonl"
    tune.write_text("".join(tune.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    assert main(["--dir", str(root), "--check"]) == 1
    assert "differs from the split rule" in capsys.readouterr().err
    assert main(["--dir", str(root)]) == 0 and main(["--dir", str(root), "--check"]) == 0
