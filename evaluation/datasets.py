"""Readers for labelled NLI pairs and claim-verdict cases.

Three pair formats are read, all into :class:`PairDataset`:

- ``jsonl``: the project's own files (``evaluation/data/news_pairs.jsonl``), one JSON
  object a line with ``id``, ``premise``, ``hypothesis``, ``label`` (and optionally
  ``rationale``, ``source``). FRANK (``frank.jsonl``: whole articles as premises) has
  this shape too.
- ``snli``: JSON lines with ``premise``, ``hypothesis``, ``label``. Pairs with no gold
  label (``"-"`` or ``-1``) are skipped, as SNLI's own readme prescribes; integer labels
  follow the Hugging Face convention 0 entailment, 1 neutral, 2 contradiction.

JSON lines may also carry ``label_binary`` (``entailment`` or ``not_entailment``: a binary
data set, scored by balanced accuracy as well) and ``split`` (``valid``, ``test``...: read
one with ``split=``).
- ``sick``: SICK's tab-separated file with a header naming ``sentence_A``, ``sentence_B``,
  ``entailment_label`` (``ENTAILMENT`` ...) and ``SemEval_set`` (``TRAIN``/``TRIAL``/``TEST``).

Bad input raises :class:`DatasetError`, whose message starts with ``FILE:LINE:`` (or
``FILE:`` where no line applies).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.labels import ID2LABEL, NLI_LABELS
from service.errors import FactcheckError

logger = logging.getLogger(__name__)

#: Pair formats understood by :func:`read_pairs`.
PAIR_FORMATS: tuple[str, ...] = ("jsonl", "snli", "sick")

#: Verdicts of the claim-checking engine, in the column order of claim metrics.
VERDICTS: tuple[str, str, str] = ("supported", "refuted", "not_enough_info")

#: The project's own labelled news pairs, the default evaluation set.
NEWS_PAIRS_PATH = Path(__file__).resolve().parent / "data" / "news_pairs.jsonl"

#: The project's claim-verdict cases against the seed corpus.
CLAIMS_PATH = Path(__file__).resolve().parent / "data" / "claims.jsonl"

#: ``label_binary`` values: entailment, or not (the 3-way labels other than entailment count
#: as not entailment).
BINARY_LABELS: tuple[str, str] = ("entailment", "not_entailment")
_NOT_ENTAILMENT = {
    "not_entailment",
    "not entailment",
    "non_entailment",
    "non-entailment",
    "not-entailment",
    "neutral",
    "contradiction",
}

#: SNLI's integer labels follow the Hugging Face convention, which is the project's table.
_SNLI_INT_LABELS = ID2LABEL
_SNLI_NO_GOLD = {"-", -1}
_SICK_COLUMNS = ("sentence_A", "sentence_B", "entailment_label", "SemEval_set")


class DatasetError(FactcheckError, ValueError):
    """A labelled-data file is missing, empty or malformed; the message names file and line."""


@dataclass(frozen=True)
class NliExample:
    """One labelled (premise, hypothesis) pair; ``label`` is one of :data:`NLI_LABELS`,
    ``label_binary`` (when the file gives one) one of :data:`BINARY_LABELS`."""

    premise: str
    hypothesis: str
    label: str
    id: str
    line: int
    label_binary: str | None = None


@dataclass(frozen=True)
class PairDataset:
    """The pairs of one file, with the name used for it in reports (``news_pairs``,
    ``snli_dev``, ``sick-TEST``)."""

    name: str
    path: Path
    format: str
    examples: tuple[NliExample, ...]

    def __len__(self) -> int:
        return len(self.examples)

    def pairs(self) -> list[tuple[str, str]]:
        """The ``(premise, hypothesis)`` tuples, in file order."""
        return [(ex.premise, ex.hypothesis) for ex in self.examples]

    @property
    def binary(self) -> bool:
        """Whether every pair carries ``label_binary`` (a binary data set)."""
        return all(ex.label_binary is not None for ex in self.examples)


@dataclass(frozen=True)
class ClaimExample:
    """One claim with its gold verdict (one of :data:`VERDICTS`)."""

    id: str
    claim: str
    verdict: str
    evidence_article: str | None
    line: int


def detect_format(path: Path) -> str:
    """Guess the pair format of ``path`` from its extension, then its first line.

    ``.tsv``/``.txt`` files whose header names ``sentence_A`` are ``sick``; JSON lines whose
    first record has an ``id`` are the project's ``jsonl``, other JSON lines are ``snli``.

    :raises DatasetError: the file is missing or empty, or the format cannot be told.
    """
    first = _first_line(path)
    if path.suffix.lower() in {".tsv", ".txt"} or "\t" in first:
        if "sentence_A" in first.split("\t"):
            return "sick"
        raise DatasetError(f"{path}:1: tab-separated file without a SICK header (sentence_A)")
    try:
        record = json.loads(first)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}:1: cannot tell the format: not JSON lines ({exc.msg}) and not SICK TSV"
        ) from None
    if not isinstance(record, dict):
        raise DatasetError(f"{path}:1: expected a JSON object, got {type(record).__name__}")
    return "jsonl" if "id" in record else "snli"


def read_pairs(
    path: str | Path,
    format: str | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> PairDataset:
    """Read labelled NLI pairs.

    :param format: one of :data:`PAIR_FORMATS`; ``None`` detects it (:func:`detect_format`).
    :param split: keep the rows of this split (case is ignored): SICK's ``SemEval_set``
        (``TEST``), or the ``split`` field of JSON lines (FRANK's ``test``); see
        :func:`carries_split`.
    :param limit: keep only the first ``limit`` pairs (after the split filter).
    :raises DatasetError: missing or empty file, a malformed line, an unknown label or a
        missing field; the message names the file and line.
    """
    path = Path(path)
    fmt = format or detect_format(path)
    if fmt not in PAIR_FORMATS:
        raise DatasetError(f"{path}: unknown format {fmt!r}; expected one of {PAIR_FORMATS}")
    if split is not None:
        if not carries_split(path, fmt):
            raise DatasetError(
                f"{path}: a split applies to SICK files and to JSON lines with a 'split' "
                "field, and this file is neither"
            )
        split = split.strip().upper() if fmt == "sick" else split.strip()
    if limit is not None and limit < 1:
        raise DatasetError(f"{path}: limit must be at least 1, got {limit}")
    reader = {"jsonl": _read_jsonl_pairs, "snli": _read_snli, "sick": _read_sick}[fmt]
    examples: list[NliExample] = []
    for example in reader(path, split):
        examples.append(example)
        if limit is not None and len(examples) >= limit:
            break
    if not examples:
        column = "SemEval_set" if fmt == "sick" else "split"
        where = f" with {column} {split!r}" if split else ""
        raise DatasetError(f"{path}: no labelled pairs{where}")
    return PairDataset(dataset_name(path, split), path, fmt, tuple(examples))


def carries_split(path: str | Path, format: str | None = None) -> bool:
    """Whether a pairs file can be read by split: SICK files (``SemEval_set``), and JSON
    lines whose first record has a ``split`` field.

    :raises DatasetError: the file is missing or empty, or its format cannot be told.
    """
    path = Path(path)
    fmt = format or detect_format(path)
    if fmt == "sick":
        return True
    try:
        record = json.loads(_first_line(path))
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and "split" in record


def read_claims(path: str | Path, limit: int | None = None) -> list[ClaimExample]:
    """Read claim-verdict cases (JSON lines: ``id``, ``claim``, ``verdict``,
    ``evidence_article``, ``rationale``).

    :raises DatasetError: as :func:`read_pairs`, for a verdict outside :data:`VERDICTS` too.
    """
    path = Path(path)
    claims: list[ClaimExample] = []
    for line_no, record in _json_records(path):
        verdict = str(_field(record, "verdict", path, line_no)).strip().lower()
        if verdict not in VERDICTS:
            raise DatasetError(
                f"{path}:{line_no}: unknown verdict {record['verdict']!r}; expected one of "
                f"{', '.join(VERDICTS)}"
            )
        claims.append(
            ClaimExample(
                id=str(_field(record, "id", path, line_no)),
                claim=_text(record, "claim", path, line_no),
                verdict=verdict,
                evidence_article=record.get("evidence_article"),
                line=line_no,
            )
        )
        if limit is not None and len(claims) >= limit:
            break
    if not claims:
        raise DatasetError(f"{path}: no claims")
    return claims


def dataset_name(path: Path, split: str | None = None) -> str:
    """Report name of a dataset: the file stem, with ``-SPLIT`` appended for a SICK split."""
    return f"{path.stem}-{split}" if split else path.stem


def _first_line(path: Path) -> str:
    _check_readable(path)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                return line.rstrip("\n")
    raise DatasetError(f"{path}: file is empty")


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    if not path.is_file():
        raise DatasetError(f"{path}: not a file")


def _json_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    _check_readable(path)
    seen_any = False
    try:
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                seen_any = True
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise DatasetError(
                        f"{path}:{line_no}: expected a JSON object, got {type(record).__name__}"
                    )
                yield line_no, record
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not seen_any:
        raise DatasetError(f"{path}: file is empty")


def _field(record: dict[str, Any], name: str, path: Path, line_no: int) -> Any:
    if name not in record or record[name] is None:
        raise DatasetError(f"{path}:{line_no}: missing field {name!r}")
    return record[name]


def _text(record: dict[str, Any], name: str, path: Path, line_no: int) -> str:
    value = _field(record, name, path, line_no)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{path}:{line_no}: field {name!r} must be a non-empty string")
    return value


def _in_split(record: dict[str, Any], split: str | None) -> bool:
    return split is None or str(record.get("split", "")).strip().lower() == split.lower()


def _binary_label(record: dict[str, Any], path: Path, line_no: int) -> str | None:
    """``label_binary`` as one of :data:`BINARY_LABELS`, or ``None`` when not given."""
    raw = record.get("label_binary")
    if raw is None:
        return None
    value = raw.strip().lower() if isinstance(raw, str) else None
    if value == "entailment":
        return "entailment"
    if value in _NOT_ENTAILMENT:
        return "not_entailment"
    raise DatasetError(
        f"{path}:{line_no}: unknown label_binary {raw!r}; expected entailment or not_entailment"
    )


def _label(raw: Any, path: Path, line_no: int) -> str:
    label = raw.strip().lower() if isinstance(raw, str) else None
    if label not in NLI_LABELS:
        raise DatasetError(
            f"{path}:{line_no}: unknown label {raw!r}; expected one of {', '.join(NLI_LABELS)}"
        )
    return label


def _read_jsonl_pairs(path: Path, split: str | None = None) -> Iterator[NliExample]:
    for line_no, record in _json_records(path):
        if not _in_split(record, split):
            continue
        yield NliExample(
            premise=_text(record, "premise", path, line_no),
            hypothesis=_text(record, "hypothesis", path, line_no),
            label=_label(_field(record, "label", path, line_no), path, line_no),
            id=str(_field(record, "id", path, line_no)),
            line=line_no,
            label_binary=_binary_label(record, path, line_no),
        )


def _read_snli(path: Path, split: str | None = None) -> Iterator[NliExample]:
    skipped = 0
    for line_no, record in _json_records(path):
        if not _in_split(record, split):
            continue
        raw = _field(record, "label", path, line_no)
        if raw in _SNLI_NO_GOLD:
            skipped += 1
            continue
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = _SNLI_INT_LABELS.get(raw, raw)
        yield NliExample(
            premise=_text(record, "premise", path, line_no),
            hypothesis=_text(record, "hypothesis", path, line_no),
            label=_label(raw, path, line_no),
            id=str(record.get("id", f"{path.stem}:{line_no}")),
            line=line_no,
            label_binary=_binary_label(record, path, line_no),
        )
    if skipped:
        logger.info("%s: skipped %d pairs without a gold label", path, skipped)


def _read_sick(path: Path, split: str | None) -> Iterator[NliExample]:
    _first_line(path)  # missing / empty file
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = reader.fieldnames or []
        missing = [column for column in _SICK_COLUMNS if column not in header]
        if missing:
            raise DatasetError(f"{path}:1: SICK header lacks column(s) {', '.join(missing)}")
        for row in reader:
            line_no = reader.line_num
            if None in row or any(row.get(column) is None for column in _SICK_COLUMNS):
                raise DatasetError(
                    f"{path}:{line_no}: expected {len(header)} tab-separated columns"
                )
            if split is not None and row["SemEval_set"].strip().upper() != split:
                continue
            premise, hypothesis = row["sentence_A"].strip(), row["sentence_B"].strip()
            if not premise or not hypothesis:
                raise DatasetError(f"{path}:{line_no}: empty sentence_A or sentence_B")
            yield NliExample(
                premise=premise,
                hypothesis=hypothesis,
                label=_label(row["entailment_label"], path, line_no),
                id=str(row.get("pair_ID") or f"{path.stem}:{line_no}"),
                line=line_no,
            )
