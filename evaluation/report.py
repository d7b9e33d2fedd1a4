"""Write an evaluation run to a folder: metrics, a Markdown and an HTML report, plots and
the misclassified items.

Files written by :func:`write_report`:

- ``metrics.json``: the metrics dict (moved in last: its presence means the run finished);
- ``report.md`` and ``report.html`` (plots embedded as base64 PNG);
- ``confusion.png``: confusion matrices, pooled and per dataset (rows gold);
- ``reliability.png``: the reliability diagram of the pooled pairs;
- ``errors.jsonl``: one misclassified pair or claim a line, with probabilities for pairs.

Everything is built in a temporary folder inside the output folder and then moved into
place with :func:`os.replace`; a stale ``metrics.json`` is removed before the new files
arrive, so a failed write never leaves a ``metrics.json`` that looks complete.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.labels import NLI_LABELS

METRICS_FILE = "metrics.json"

#: Every file a report consists of; ``metrics.json`` last.
REPORT_FILES: tuple[str, ...] = (
    "errors.jsonl",
    "confusion.png",
    "reliability.png",
    "report.md",
    "report.html",
    METRICS_FILE,
)

#: Misclassified items listed in report.md / report.html (all of them are in errors.jsonl).
_ERRORS_SHOWN = 25

SUMMARY_HEADERS = (
    "dataset",
    "n",
    "accuracy",
    "macro_f1",
    "bal_acc_binary",
    "f1_entailment",
    "f1_neutral",
    "f1_contradiction",
    "ece",
    "pairs/s",
)


def write_report(
    output_dir: str | Path, metrics: Mapping[str, Any], errors: Sequence[Mapping[str, Any]]
) -> dict[str, Path]:
    """Write the report files of one run into ``output_dir`` (created if missing).

    :param metrics: the dict from :func:`evaluation.runner.evaluate_pairs` or
        :func:`evaluation.runner.run_evaluation`.
    :param errors: the misclassified items.
    :returns: file name -> final path, for each of :data:`REPORT_FILES`.
    :raises ValueError: the metrics hold NaN or a value JSON cannot store.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        metrics_text = json.dumps(metrics, indent=2, allow_nan=False) + "\n"
        confusion_png = _confusion_png(metrics)
        reliability_png = _reliability_png(metrics)
        (staging / "confusion.png").write_bytes(confusion_png)
        (staging / "reliability.png").write_bytes(reliability_png)
        with (staging / "errors.jsonl").open("w", encoding="utf-8") as handle:
            for error in errors:
                handle.write(json.dumps(error, ensure_ascii=False) + "\n")
        (staging / "report.md").write_text(render_markdown(metrics, errors), encoding="utf-8")
        (staging / "report.html").write_text(
            render_html(
                metrics, errors, {"confusion": confusion_png, "reliability": reliability_png}
            ),
            encoding="utf-8",
        )
        (staging / METRICS_FILE).write_text(metrics_text, encoding="utf-8")

        (out / METRICS_FILE).unlink(missing_ok=True)
        for name in REPORT_FILES:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: out / name for name in REPORT_FILES}


def summary_rows(metrics: Mapping[str, Any]) -> list[list[str]]:
    """Table rows (see :data:`SUMMARY_HEADERS`): each dataset, then ``all`` (pooled) when
    there is more than one dataset."""
    sections = list((metrics.get("datasets") or {}).items())
    if len(sections) != 1:
        sections.append(("all", metrics))
    return [_summary_row(name, section) for name, section in sections]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with aligned columns (for the terminal)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def render_markdown(metrics: Mapping[str, Any], errors: Sequence[Mapping[str, Any]]) -> str:
    """The Markdown report: summary, per-class scores, confusion, claims, gate, errors."""
    labels = list(metrics["labels"])
    parts = ["# Evaluation report", ""]
    parts += [f"- {key}: {value}" for key, value in _run_lines(metrics)]
    parts += ["", "## Summary", "", _md_table(SUMMARY_HEADERS, summary_rows(metrics)), ""]
    parts += [f"Primary metric: `{metrics.get('primary_metric', 'macro_f1')}`.", ""]
    for note in _summary_notes(metrics):
        parts += [note, ""]
    parts += ["## Per class (all pairs)", "", _md_table(*_per_class_table(metrics)), ""]
    parts += ["## Confusion (all pairs; rows gold, columns predicted)", ""]
    parts += [_md_table(*_confusion_table(metrics["confusion"], labels)), ""]
    parts += ["![confusion matrices](confusion.png)", "", "![reliability](reliability.png)", ""]
    claims = metrics.get("claims")
    if claims:
        parts += ["## Claims", "", _claims_line(claims), ""]
        parts += [_md_table(*_per_class_table(claims)), ""]
        parts += [_md_table(*_confusion_table(claims["confusion"], claims["labels"])), ""]
    gate = metrics.get("gate")
    if gate:
        parts += ["## Regression gate", "", _gate_line(gate), ""]
        parts += [
            f"- {r['metric']}: {r['baseline']:.4f} -> {r['current']:.4f}"
            for r in gate["regressions"]
        ]
        parts.append("")
    parts += [f"## Errors ({len(errors)}; all in errors.jsonl)", ""]
    if errors:
        rows = [_error_row(error) for error in _most_confident(errors)]
        parts += [_md_table(("dataset", "id", "gold", "predicted", "p(pred)", "text"), rows), ""]
    return "\n".join(parts)


def render_html(
    metrics: Mapping[str, Any],
    errors: Sequence[Mapping[str, Any]],
    images: Mapping[str, bytes],
) -> str:
    """A self-contained HTML report; ``images`` (name -> PNG bytes) are embedded as base64."""
    labels = list(metrics["labels"])
    body = ["<h1>Evaluation report</h1>", "<ul>"]
    body += [f"<li>{_e(key)}: {_e(value)}</li>" for key, value in _run_lines(metrics)]
    body += ["</ul>", "<h2>Summary</h2>", _html_table(SUMMARY_HEADERS, summary_rows(metrics))]
    body += [f"<p>{_e(note)}</p>" for note in _summary_notes(metrics)]
    body += ["<h2>Per class (all pairs)</h2>", _html_table(*_per_class_table(metrics))]
    body += ["<h2>Confusion (all pairs; rows gold, columns predicted)</h2>"]
    body += [_html_table(*_confusion_table(metrics["confusion"], labels))]
    for name, png in images.items():
        encoded = base64.b64encode(png).decode("ascii")
        body.append(
            f'<h2>{_e(name)}</h2><img alt="{_e(name)}" src="data:image/png;base64,{encoded}">'
        )
    claims = metrics.get("claims")
    if claims:
        body += ["<h2>Claims</h2>", f"<p>{_e(_claims_line(claims))}</p>"]
        body += [_html_table(*_per_class_table(claims))]
        body += [_html_table(*_confusion_table(claims["confusion"], claims["labels"]))]
    gate = metrics.get("gate")
    if gate:
        body += ["<h2>Regression gate</h2>", f"<p>{_e(_gate_line(gate))}</p>", "<ul>"]
        body += [
            f"<li>{_e(r['metric'])}: {r['baseline']:.4f} &rarr; {r['current']:.4f}</li>"
            for r in gate["regressions"]
        ]
        body.append("</ul>")
    body.append(f"<h2>Errors ({len(errors)}; all in errors.jsonl)</h2>")
    if errors:
        rows = [_error_row(error) for error in _most_confident(errors)]
        body.append(_html_table(("dataset", "id", "gold", "predicted", "p(pred)", "text"), rows))
    style = (
        "body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        "img{max-width:100%}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Evaluation report</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _summary_row(name: str, section: Mapping[str, Any]) -> list[str]:
    per_class = section.get("per_class", {})
    f1 = [per_class.get(label, {}).get("f1") for label in NLI_LABELS]
    return [
        name,
        str(section["n"]),
        f"{section['accuracy']:.4f}",
        f"{section['macro_f1']:.4f}",
        f"{section['balanced_accuracy']:.4f}" if "balanced_accuracy" in section else "-",
        *(f"{value:.4f}" if value is not None else "-" for value in f1),
        f"{section['ece']:.4f}" if "ece" in section else "-",
        f"{section.get('pairs_per_second', 0.0):.1f}",
    ]


_BINARY_NOTE = (
    "`bal_acc_binary`: balanced accuracy of entailment vs not (the most probable label is "
    "entailment, or not), for data sets whose pairs carry `label_binary`."
)


def _summary_notes(metrics: Mapping[str, Any]) -> list[str]:
    """What the summary table needs said: data sets read in sentence windows, and what
    ``bal_acc_binary`` is when a data set has it."""
    datasets = metrics.get("datasets") or {}
    notes = []
    windowed = [
        f"{name} ({section['windows_scored']:,} windows of up to "
        f"{section['window_sentences']} sentence(s))"
        for name, section in datasets.items()
        if section.get("windows")
    ]
    if windowed:
        notes.append(
            "Premises read in sentence windows (max entailment / max contradiction over the "
            "windows): " + ", ".join(windowed) + "."
        )
    if any("balanced_accuracy" in s for s in (metrics, *datasets.values())):
        notes.append(_BINARY_NOTE)
    return notes


def _run_lines(metrics: Mapping[str, Any]) -> list[tuple[str, Any]]:
    lines = [("created_at", metrics.get("created_at", "-"))]
    lines += list((metrics.get("run") or {}).items())
    return lines


def _per_class_table(section: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["label", "precision", "recall", "f1", "support"]
    rows = [
        [label, f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}", str(s["support"])]
        for label, s in section["per_class"].items()
    ]
    return headers, rows


def _confusion_table(
    matrix: Sequence[Sequence[int]], labels: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    headers = ["gold \\ predicted", *labels]
    rows = [[label, *(str(count) for count in row)] for label, row in zip(labels, matrix)]
    return headers, rows


def _claims_line(claims: Mapping[str, Any]) -> str:
    return f"n={claims['n']}, accuracy {claims['accuracy']:.4f}, macro-F1 {claims['macro_f1']:.4f}"


def _gate_line(gate: Mapping[str, Any]) -> str:
    if gate.get("error"):
        return f"Gate not applied: {gate['error']}"
    verdict = "passed" if gate["passed"] else f"FAILED ({len(gate['regressions'])} regression(s))"
    return f"Gate {verdict}; tolerance {gate['tolerance']}."


def _most_confident(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def confidence(error: Mapping[str, Any]) -> float:
        probs = error.get("probabilities") or {}
        return float(probs.get(error.get("predicted"), 0.0))

    return sorted(errors, key=confidence, reverse=True)[:_ERRORS_SHOWN]


def _error_row(error: Mapping[str, Any]) -> list[str]:
    probs = error.get("probabilities") or {}
    p = probs.get(error["predicted"])
    text = error.get("claim") or f"{error.get('premise', '')} => {error.get('hypothesis', '')}"
    return [
        str(error.get("dataset", "")),
        str(error.get("id", "")),
        str(error["gold"]),
        str(error["predicted"]),
        f"{p:.3f}" if p is not None else "-",
        text,
    ]


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("| " + " | ".join("---" for _ in headers) + " |")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _e(value: Any) -> str:
    return html.escape(str(value))


def _new_figure(width_in: float, height_in: float) -> Any:
    """A figure on an explicit Agg canvas: no pyplot, no global backend state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _figure_png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _confusion_png(metrics: Mapping[str, Any]) -> bytes:
    labels = list(metrics["labels"])
    panels = [("all pairs", metrics["confusion"])]
    datasets = metrics.get("datasets") or {}
    if len(datasets) > 1:
        panels += [(name, section["confusion"]) for name, section in datasets.items()]
    fig = _new_figure(1.2 + 3.2 * len(panels), 4.0)
    for i, (title, matrix) in enumerate(panels, 1):
        counts = np.asarray(matrix, dtype=np.float64)
        rows = counts.sum(axis=1, keepdims=True)
        shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
        ax = fig.add_subplot(1, len(panels), i)
        ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for (r, c), count in np.ndenumerate(counts):
            ax.text(
                c,
                r,
                f"{int(count)}\n{shares[r, c]:.0%}",
                ha="center",
                va="center",
                color="white" if shares[r, c] > 0.6 else "black",
                fontsize=8,
            )
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels if i == 1 else [])
        ax.set_xlabel("predicted")
        if i == 1:
            ax.set_ylabel("gold")
        ax.set_title(title)
    return _figure_png(fig)


def _reliability_png(metrics: Mapping[str, Any]) -> bytes:
    bins = metrics.get("reliability") or []
    fig = _new_figure(5.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    filled = [b for b in bins if b["count"]]
    if filled:
        width = filled[0]["upper"] - filled[0]["lower"]
        ax.bar(
            [(b["lower"] + b["upper"]) / 2 for b in filled],
            [b["accuracy"] for b in filled],
            width=width * 0.9,
            alpha=0.7,
            label="accuracy",
        )
        ax.plot(
            [b["confidence"] for b in filled],
            [b["accuracy"] for b in filled],
            marker="o",
            color="black",
            linewidth=1,
            label="mean confidence",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability (ECE {metrics.get('ece', 0.0):.4f}, n={metrics.get('n', 0)})")
    ax.legend(loc="upper left")
    return _figure_png(fig)
