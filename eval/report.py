"""The evaluation's human-readable output: PNG charts, ``report.md``, ``report.html`` and ``comparison.md``.

Charts are drawn with matplotlib's Agg backend and carry ASCII labels only (question types and configuration names),
so no CJK font is needed. ``report.html`` is one self-contained file: charts embedded as base64 PNG, every piece of
question, answer and passage text HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# (metric key, column title) of the side-by-side table.
COMPARISON_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("recall@5", "recall@5"),
    ("answer_keyword", "answer kw acc"),
    ("citation_has_evidence", "citation has evidence"),
    ("refusal_accuracy", "refusal acc"),
    ("false_refusal", "false refusal"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
    ("chunks", "chunks"),
    ("avg_chunk_chars", "avg chunk chars"),
)
TYPE_COLUMNS = (
    ("questions", "n"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("recall@5", "recall@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("answer_keyword", "answer kw"),
    ("citation_precision", "cit. precision"),
    ("citation_recall", "cit. recall"),
    ("citation_has_evidence", "cit. has evidence"),
    ("false_refusal", "false refusal"),
    ("answered", "answered"),
    ("refusal_accuracy", "refusal acc"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)
# The breakdowns of ``eval.metrics.aggregate`` beside ``by_type``: (metrics key, section title, first column).
BREAKDOWNS = (
    ("by_lang", "Per question language", "lang"),
    ("by_type_lang", "Per question type and language", "type/lang"),
)
OVERALL_ORDER = (
    "questions", "answerable", "hit@1", "hit@3", "hit@5", "hit@10", "recall@1", "recall@3", "recall@5", "recall@10",
    "mrr@10", "ndcg@10", "answer_keyword", "citation_precision", "citation_recall", "citation_has_evidence",
    "false_refusal", "answered", "refusal_accuracy", "latency_p50_ms", "latency_p95_ms",
)
# Bars of the per-type chart; refusal accuracy only exists for the unanswerable type.
CHART_METRICS = (
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("answer_keyword", "answer keyword acc"),
    ("citation_has_evidence", "citation has evidence"),
    ("refusal_accuracy", "refusal acc"),
)
COMPARISON_CHART_METRICS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("recall@5", "recall@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("answer_keyword", "answer kw acc"),
)
DASH = "—"


# -- charts -------------------------------------------------------------------------------------------------------


def write_charts(
    out_dir: Path, metrics: dict[str, Any], records: Sequence[dict[str, Any]], comparison: dict[str, dict[str, Any]]
) -> list[Path]:
    """Metrics per question type (grouped bars), the latency histogram and, with a comparison, metrics per config."""
    import matplotlib

    matplotlib.use("Agg")
    paths = [
        _types_chart(out_dir / "metrics_by_type.png", metrics["by_type"]),
        _latency_chart(out_dir / "latency.png", [float(r.get("latency_ms", 0.0)) for r in records], metrics["overall"]),
    ]
    if comparison:
        paths.append(_comparison_chart(out_dir / "comparison.png", comparison))
    return paths


def grouped_bars(ax, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    """Bars of several series side by side in each group; a missing value (None) leaves a gap."""
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(series):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        heights = [v if v is not None else math.nan for v in values]
        ax.bar(xs, heights, width, label=label)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)


def save_figure(fig, path: Path) -> Path:
    """Lay out, write (PNG, 110 dpi) and close a matplotlib figure; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _score_chart(
    path: Path, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], title: str,
    width_per_group: float, height: float, legend_y: float,
) -> Path:
    """Grouped bars of scores in [0, 1], one group per question type or configuration."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(8, width_per_group * len(groups) + 3), height))
    grouped_bars(ax, groups, series)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, legend_y))
    return save_figure(fig, path)


def _types_chart(path: Path, by_type: dict[str, dict[str, Any]]) -> Path:
    types = list(by_type)
    series = [(label, [by_type[t].get(key) for t in types]) for key, label in CHART_METRICS]
    series = [(label, values) for label, values in series if any(v is not None for v in values)]
    groups = [f"{t}\n(n={by_type[t]['questions']})" for t in types]
    return _score_chart(path, groups, series, "Metrics per question type", 1.4, 4.8, -0.16)


def _latency_chart(path: Path, latencies: list[float], overall: dict[str, Any]) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    if latencies:
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#4c72b0", alpha=0.85)
    for key, label, style in (("latency_p50_ms", "p50", "--"), ("latency_p95_ms", "p95", ":")):
        if key in overall:
            ax.axvline(overall[key], color="#c44e52", linestyle=style, label=f"{label} {overall[key]:.0f} ms")
    ax.set_xlabel("answer latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency distribution")
    if "latency_p50_ms" in overall:
        ax.legend()
    return save_figure(fig, path)


def _comparison_chart(path: Path, comparison: dict[str, dict[str, Any]]) -> Path:
    names = list(comparison)
    series = [(label, [comparison[n].get(key) for n in names]) for key, label in COMPARISON_CHART_METRICS]
    return _score_chart(path, names, series, "Configurations side by side", 1.8, 4.6, -0.1)


# -- tables -------------------------------------------------------------------------------------------------------


def fmt(key: str, value: Any) -> str:
    """A metric as the tables show it: ratios to 3 decimals, milliseconds to whole numbers, missing as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if key.endswith("_ms") or key in ("avg_chunk_chars",):
        return f"{value:.0f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _md_cell(text: Any) -> str:
    # Escaped for HTML too: a question holding "<script>" must stay text wherever the Markdown is rendered.
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def comparison_rows(comparison: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[name, *(fmt(key, row.get(key)) for key, _ in COMPARISON_COLUMNS)] for name, row in comparison.items()]


def comparison_markdown(comparison: dict[str, dict[str, Any]], descriptions: dict[str, str] | None = None) -> str:
    """The side-by-side table (rows = configurations) with a legend of what each configuration is."""
    table = markdown_table(["config", *(title for _, title in COMPARISON_COLUMNS)], comparison_rows(comparison))
    legend = "".join(
        f"- `{name}`: {_md_cell(descriptions[name])}\n" for name in comparison if descriptions and name in descriptions
    )
    note = (
        "\nAnswer, citation and refusal metrics are empty (—) for a retrieval-only configuration; its latency is "
        "retrieval only. Metrics other than latency are means over answerable questions, except refusal accuracy "
        "(over unanswerable ones).\n"
    )
    return table + ("\n" + legend if legend else "") + note


def type_rows(by_type: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[t, *(fmt(key, block.get(key)) for key, _ in TYPE_COLUMNS)] for t, block in by_type.items()]


# -- reports ------------------------------------------------------------------------------------------------------


def write_reports(out_dir: Path, summary: dict[str, Any]) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and (with a comparison) ``comparison.md``; returns their paths."""
    files: dict[str, Path] = {}
    run = summary["run"]
    if summary["comparison"]:
        files["comparison"] = out_dir / "comparison.md"
        files["comparison"].write_text(
            "# Configurations side by side\n\n" + comparison_markdown(summary["comparison"], run.get("descriptions")),
            encoding="utf-8",
        )
    files["report_md"] = out_dir / "report.md"
    files["report_md"].write_text(render_markdown(summary, out_dir), encoding="utf-8")
    files["report_html"] = out_dir / "report.html"
    files["report_html"].write_text(render_html(summary), encoding="utf-8")
    return files


def _overall_rows(overall: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [k for k in OVERALL_ORDER if k in overall] + [k for k in overall if k not in OVERALL_ORDER]
    return [(k, fmt(k, overall[k])) for k in keys]


def _run_facts(run: dict[str, Any]) -> list[tuple[str, str]]:
    facts = [
        ("question set", f"{run['questions_file']} ({run['questions']} questions)"),
        ("configuration", f"{run['config']}, {run['mode']} answers"),
        ("embedder", run["embedder"]),
        ("index", f"{run['store']} ({fmt('chunks', run.get('chunks'))} chunks, "
                  f"avg {fmt('avg_chunk_chars', run.get('avg_chunk_chars'))} chars)"),
        ("corpus", run.get("corpus_dir") or DASH),
        ("retrieval", ", ".join(f"{k}={v}" for k, v in run["retrieval"].items())),
        ("refusal threshold", str(run["refusal_threshold"])),
        ("finished", f"{run['finished_at']} in {run['seconds']} s"),
    ]
    return facts


def render_markdown(summary: dict[str, Any], out_dir: Path) -> str:
    run, metrics = summary["run"], summary["metrics"]
    parts = ["# ReportQA evaluation\n\n"]
    parts.append("".join(f"- {name}: {_md_cell(value)}\n" for name, value in _run_facts(run)))
    gate = summary["gate_failures"]
    parts.append(f"\n**Gate:** {_md_cell(summary['gate_note'])}\n")
    parts.extend(f"- below floor: {_md_cell(g)}\n" for g in gate)
    overall = [list(row) for row in _overall_rows(metrics["overall"])]
    parts.append("\n## Overall\n\n" + markdown_table(["metric", "value"], overall))
    parts.append("\n## Per question type\n\n")
    parts.append(markdown_table(["type", *(t for _, t in TYPE_COLUMNS)], type_rows(metrics["by_type"])))
    for key, title, first in BREAKDOWNS:
        if metrics.get(key):
            parts.append(f"\n## {title}\n\n")
            parts.append(markdown_table([first, *(t for _, t in TYPE_COLUMNS)], type_rows(metrics[key])))
    if summary["comparison"]:
        parts.append("\n## Configurations side by side\n\n")
        parts.append(comparison_markdown(summary["comparison"], run.get("descriptions")))
    if summary["charts"]:
        parts.append("\n## Charts\n\n")
        for chart in summary["charts"]:
            parts.append(f"![{Path(chart).stem}]({_relative(Path(chart), out_dir)})\n\n")
    failures = summary["failures"]
    parts.append(f"\n## Failures ({len(failures)})\n\n")
    if not failures:
        parts.append("None.\n")
    for f in failures:
        parts.append(f"### {_md_cell(f['id'])} ({f['type']}): {_md_cell('; '.join(f['reasons']))}\n\n")
        parts.append(f"- question: {_md_cell(f['question'])}\n")
        parts.append(f"- expected evidence: {_md_cell(' / '.join(f['evidence']) or DASH)}\n")
        parts.append(f"- expected keywords: {_md_cell(' / '.join(f['answer_keywords']) or DASH)}\n")
        parts.append(f"- answer{' (refused)' if f['refused'] else ''}: {_md_cell(f['answer'] or DASH)}\n")
        parts.append("- retrieved instead:\n")
        for p in f["retrieved"]:
            where = " › ".join(x for x in (p["source"], p["section"]) if x)
            mark = " (holds evidence)" if p["holds_evidence"] else ""
            parts.append(f"  {p['rank']}. {_md_cell(where)}{mark}: {_md_cell(p['text'])}\n")
        parts.append("\n")
    return "".join(parts)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3}
.fail{border-left:4px solid #c44e52;padding:.25rem .75rem;margin:1rem 0;background:#fcf6f6}
.fail ol{margin:.25rem 0}
.ok{color:#2a7a2a}.bad{color:#b00020}
.hit{background:#eaf6ea}
img{max-width:100%;border:1px solid #eee;margin:.5rem 0}
code{background:#f3f3f3;padding:0 .2rem}
"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: dict[str, Any]) -> str:
    """One self-contained page: every text from questions, answers and passages is escaped."""
    run, metrics = summary["run"], summary["metrics"]
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>ReportQA evaluation</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ReportQA evaluation</h1><ul>",
        *(f"<li><b>{e(k)}</b>: {e(str(v))}</li>" for k, v in _run_facts(run)),
        "</ul>",
    ]
    gate_class = "bad" if summary["gate_failures"] else "ok"
    out.append(f"<p class='{gate_class}'><b>Gate:</b> {e(summary['gate_note'])}</p>")
    if summary["gate_failures"]:
        out.append("<ul>" + "".join(f"<li class='bad'>{e(g)}</li>" for g in summary["gate_failures"]) + "</ul>")
    out.append("<h2>Overall</h2>" + _html_table(["metric", "value"], _overall_rows(metrics["overall"])))
    out.append("<h2>Per question type</h2>")
    out.append(_html_table(["type", *(t for _, t in TYPE_COLUMNS)], type_rows(metrics["by_type"])))
    for key, title, first in BREAKDOWNS:
        if metrics.get(key):
            out.append(f"<h2>{e(title)}</h2>")
            out.append(_html_table([first, *(t for _, t in TYPE_COLUMNS)], type_rows(metrics[key])))
    if summary["comparison"]:
        out.append("<h2>Configurations side by side</h2>")
        out.append(
            _html_table(["config", *(t for _, t in COMPARISON_COLUMNS)], comparison_rows(summary["comparison"]))
        )
        descriptions = run.get("descriptions") or {}
        out.append("<ul>" + "".join(
            f"<li><code>{e(n)}</code>: {e(descriptions[n])}</li>" for n in summary["comparison"] if n in descriptions
        ) + "</ul>")
        out.append("<p>Answer, citation and refusal metrics are empty (—) for a retrieval-only configuration; its "
                   "latency is retrieval only.</p>")
    if summary["charts"]:
        out.append("<h2>Charts</h2>")
        for chart in summary["charts"]:
            data = base64.b64encode(Path(chart).read_bytes()).decode("ascii")
            out.append(f"<p><img alt='{e(Path(chart).stem)}' src='data:image/png;base64,{data}'></p>")
    failures = summary["failures"]
    out.append(f"<h2>Failures ({len(failures)})</h2>")
    if not failures:
        out.append("<p>None.</p>")
    for f in failures:
        out.append("<div class='fail'>")
        out.append(f"<h3>{e(f['id'])} <small>({e(f['type'])})</small>: {e('; '.join(f['reasons']))}</h3>")
        out.append(f"<p><b>Question:</b> {e(f['question'])}</p>")
        out.append(f"<p><b>Expected evidence:</b> {e(' / '.join(f['evidence']) or DASH)}<br>")
        out.append(f"<b>Expected keywords:</b> {e(' / '.join(f['answer_keywords']) or DASH)}</p>")
        refused = " (refused)" if f["refused"] else ""
        out.append(f"<p><b>Answer{refused}:</b> {e(f['answer'] or DASH)}</p>")
        out.append("<p><b>Retrieved instead:</b></p><ol>")
        for p in f["retrieved"]:
            where = " › ".join(x for x in (p["source"], p["section"]) if x)
            css = " class='hit'" if p["holds_evidence"] else ""
            out.append(f"<li{css}><code>{e(where)}</code>: {e(p['text'])}</li>")
        out.append("</ol></div>")
    out.append("</body></html>")
    return "\n".join(out)
