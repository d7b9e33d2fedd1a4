"""Regression gate: compare a run's ``metrics.json`` with a baseline run's.

Gated metrics are macro-F1 and every per-class F1, named by their path in
``metrics.json``: ``macro_f1``, ``per_class.contradiction.f1``,
``datasets.news_pairs.macro_f1``, ``claims.per_class.refuted.f1`` and so on. A section
(the pooled pairs, one dataset, the claims) is compared only when both runs scored the
same number of items in it; a different ``n`` means different data, and comparing it
would be meaningless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import FactcheckError

logger = logging.getLogger(__name__)

#: Default largest drop (absolute, on a 0..1 scale) that does not count as a regression.
DEFAULT_TOLERANCE = 0.01

#: Float slack so that a drop of exactly ``tolerance`` passes despite rounding.
_EPSILON = 1e-9


class GateError(FactcheckError, ValueError):
    """The baseline cannot be read or shares nothing comparable with the current run."""


@dataclass(frozen=True)
class Regression:
    """A gated metric that fell by more than the tolerance."""

    metric: str
    baseline: float
    current: float

    @property
    def drop(self) -> float:
        return self.baseline - self.current

    def __str__(self) -> str:
        return f"{self.metric} fell from {self.baseline:.4f} to {self.current:.4f}"


def load_metrics(path: str | Path) -> dict[str, Any]:
    """Read a ``metrics.json`` written by :func:`evaluation.report.write_report`.

    :raises GateError: the file is missing, not JSON, or not a metrics object.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{path}: cannot read baseline ({exc})") from None
    except json.JSONDecodeError as exc:
        raise GateError(f"{path}:{exc.lineno}: baseline is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or "macro_f1" not in data and "claims" not in data:
        raise GateError(f"{path}: not an evaluation metrics.json (no macro_f1)")
    return data


def gated_metrics(metrics: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The gated values of each section of a metrics dict.

    :returns: ``{section_prefix: {"n": n, "values": {metric_name: value}}}``; the prefix is
        ``""`` for the pooled pairs, ``"datasets.NAME."`` and ``"claims."``.
    """
    sections: dict[str, Mapping[str, Any]] = {}
    if "macro_f1" in metrics:
        sections[""] = metrics
    for name, section in (metrics.get("datasets") or {}).items():
        sections[f"datasets.{name}."] = section
    if isinstance(metrics.get("claims"), Mapping):
        sections["claims."] = metrics["claims"]
    out: dict[str, dict[str, Any]] = {}
    for prefix, section in sections.items():
        values = {f"{prefix}macro_f1": float(section["macro_f1"])}
        for label, scores in (section.get("per_class") or {}).items():
            values[f"{prefix}per_class.{label}.f1"] = float(scores["f1"])
        out[prefix] = {"n": section.get("n"), "values": values}
    return out


def find_regressions(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[Regression]:
    """Gated metrics that dropped by more than ``tolerance`` from ``baseline`` to ``current``.

    A gain never fails the gate. Sections present in only one run, or scored on a different
    number of items, are skipped with a warning.

    :returns: the regressions, pooled metrics first; empty when the gate passes.
    :raises GateError: ``tolerance`` is negative, or no section is comparable at all.
    """
    if tolerance < 0:
        raise GateError(f"tolerance must be >= 0, got {tolerance}")
    base_sections, cur_sections = gated_metrics(baseline), gated_metrics(current)
    regressions: list[Regression] = []
    compared = 0
    for prefix, cur in cur_sections.items():
        label = prefix.rstrip(".") or "pooled pairs"
        base = base_sections.get(prefix)
        if base is None:
            logger.warning("gate: %s not in the baseline; not compared", label)
            continue
        if base["n"] != cur["n"]:
            logger.warning(
                "gate: %s has n=%s now and n=%s in the baseline; not compared",
                label,
                cur["n"],
                base["n"],
            )
            continue
        compared += 1
        for name, value in cur["values"].items():
            if name not in base["values"]:
                continue
            before = base["values"][name]
            if before - value > tolerance + _EPSILON:
                regressions.append(Regression(name, before, value))
    if compared == 0:
        raise GateError(
            "the baseline has no section scored on the same data as this run "
            f"(baseline: {sorted(p.rstrip('.') or 'pooled' for p in base_sections)}, "
            f"current: {sorted(p.rstrip('.') or 'pooled' for p in cur_sections)})"
        )
    return regressions
