"""Lists written as prose become items of their paragraph, read once at ingest."""

from __future__ import annotations

import pytest

from ingest.enumerations import prose_items
from ingest.loaders import load_document
from ingest.structure import read_structure


def _named(sentence: str) -> list[list[str]]:
    return [[sentence[c.start : c.end] for c in item.children] for item in prose_items(sentence, 0, len(sentence))]


@pytest.mark.parametrize("sentence, things", [
    ("硼砂可用作清洁剂、化妆品、杀虫剂，也可用于配置缓冲溶液。", ["清洁剂", "化妆品", "杀虫剂"]),
    ("其他还包括HR招聘、培训、供应链管理等场景。", ["HR招聘", "培训", "供应链管理"]),
    ("应用领域涵盖多个行业，如医疗、金融、零售和制造。", ["医疗", "金融", "零售", "制造"]),
    ("Common methods include uranium-lead dating, potassium-argon dating, and argon-argon dating, which are old.",
     ["uranium-lead dating", "potassium-argon dating", "argon-argon dating"]),
    ("The region is defined as the counties of Imperial, Los Angeles, Orange and San Diego, based on history.",
     ["Imperial", "Los Angeles", "Orange", "San Diego"]),
    ('It is described as "eight counties", based on population and economic ties: Imperial, Los Angeles, Orange, '
     "Riverside, and Ventura.", ["Imperial", "Los Angeles", "Orange", "Riverside", "Ventura"]),
    # An aside in brackets says something of a thing named; it is no part of its name and its commas cut nothing.
    ("The discharge of the Rhine is divided among three branches: the River Waal (6/9 of total discharge), the River "
     "Nederrijn – Lek (2/9 of total discharge) and the River IJssel (1/9 of total discharge).",
     ["the River Waal", "the River Nederrijn – Lek", "the River IJssel"]),
    ("Its products include Widget (2019, since discontinued), Gadget and Gizmo.", ["Widget", "Gadget", "Gizmo"]),
    # The same in Chinese, full-width brackets too; a list inside the brackets is still read.
    ("赫哲语又称那乃语(Nanai)、赫真语(Hezhen)或戈尔德语(Gold)，是赫哲族的民族通用语言。", ["那乃语", "赫真语", "戈尔德语"]),
    ("主要厂商包括阿里云（通义）、百度（文心）、腾讯（混元）等。", ["阿里云", "百度", "腾讯"]),
    ("三大云厂商（阿里云、腾讯云、华为云）占据市场六成份额。", ["阿里云", "腾讯云", "华为云"]),
])
def test_a_sentence_naming_three_or_more_things_is_a_list_of_them(sentence, things):
    assert _named(sentence) == [things]


@pytest.mark.parametrize("sentence", [
    "我们明天去北京、上海，然后回家。",  # two things are a pair, not a list
    "The market grew, prices fell, and the firms that had invested early in capacity were rewarded handsomely.",
    "市场规模扩大、竞争格局发生了根本性的变化并且持续了很多年之久、利润率下降。",  # clauses, not things
    # a route, not things: a part that opens with a preposition is a phrase ("via the Merwede")
    "Two thirds of the water flows farther west, through the Waal and then, via the Merwede and Nieuwe Merwede (De "
    "Biesbosch), merging with the Meuse, into the North Sea.",
])
def test_pairs_and_clauses_are_not_lists(sentence):
    assert _named(sentence) == []


def test_the_head_of_a_prose_list_is_what_introduces_it_and_offsets_are_exact(tmp_path):
    text = "# 化合物\n\n## 硼砂\n\n硼砂是一种矿物。硼砂可用作清洁剂、化妆品、杀虫剂等。\n"
    path = tmp_path / "borax.md"
    path.write_text(text, encoding="utf-8")
    document = load_document(path)
    structure = read_structure(document)
    paragraph = structure.block_at(document.text.index("硼砂是一种矿物"))
    assert paragraph.kind == "paragraph" and len(paragraph.items) == 1
    item = paragraph.items[0]
    assert document.text[item.head_start : item.head_end] == "硼砂可用作"
    assert [document.text[c.start : c.end] for c in item.children] == ["清洁剂", "化妆品", "杀虫剂"]
    shapes = [s for s in structure.list_shapes if s.items == item.children]
    assert len(shapes) == 1 and (item.head_start, item.head_end) in shapes[0].leads
