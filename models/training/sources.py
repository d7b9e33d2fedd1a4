"""Training sources and the fixed held-out slices, read from plain files.

Every source yields rows ``{"id", "premise", "hypothesis", "label", "source"}``. Which rows
are held out is decided here, once, by seeded draws that do not depend on the training
arguments, so a slice never moves between runs:

- ``mnli``: TaxiNLI and the two hard subsets, deduplicated by (premise, hypothesis);
  1,000 pairs held out.
- ``snli``: SNLI test and SNLI dev are trained on, except a seeded 1,000 of SNLI dev: the
  declared slice.
- ``vitaminc``: held out by Wikipedia page: whole pages are drawn until 1,000 pairs.
- ``frank``: the ``valid`` split is trained on, one window per pair (below); ``test`` is
  held out and evaluated document-level by ``factcheck evaluate --windows sentence``.
- ``news``: the project's written corpus; 10 % of its premises (with all their pairs) held
  out, drawn per edition (``editions.json``) so that adding an edition never moves a pair of
  an earlier one between training and the held-out slice.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from models.labels import NLI_LABELS

NEWS_CORPUS_DIR = Path(__file__).resolve().parent / "data" / "news_corpus"
HELD_OUT_SEED = 20261129
HELD_OUT_SIZE = 1000
NEWS_HELD_OUT_FRACTION = 0.10
NEWS_EDITIONS_FILE = "editions.json"
SOURCES = ("news", "mnli", "snli", "vitaminc", "frank")


def read_jsonl(path: str | Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _labelled(rows: Iterable[dict], source: str, id_prefix: str) -> list[dict]:
    out = []
    for n, row in enumerate(rows):
        label = str(row.get("label", "")).strip().lower()
        if label not in NLI_LABELS:
            continue
        out.append(
            {
                "id": str(row.get("id") or f"{id_prefix}-{n}"),
                "premise": row["premise"],
                "hypothesis": row["hypothesis"],
                "label": label,
                "source": source,
            }
        )
    return out


def _split_by_draw(rows: list[dict], n_held: int, seed: int) -> tuple[list[dict], list[dict]]:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    # never more than half: a small folder (tests, a subset) still leaves pairs to train on
    held = set(order[: min(n_held, len(rows) // 2)])
    return [r for i, r in enumerate(rows) if i not in held], [rows[i] for i in sorted(held)]


def mnli(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(train, held out): distinct MultiNLI pairs of the three files."""
    seen, rows = set(), []
    for name in ("mnli_taxinli.jsonl", "mnli_hard_matched.jsonl", "mnli_hard_mismatched.jsonl"):
        for row in _labelled(read_jsonl(data_dir / name), "mnli", "mnli"):
            key = (row["premise"].strip(), row["hypothesis"].strip())
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return _split_by_draw(rows, HELD_OUT_SIZE, HELD_OUT_SEED)


def snli(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(train = SNLI test and the rest of SNLI dev, held out = a seeded 1,000 of SNLI dev)."""
    train = _labelled(read_jsonl(data_dir / "snli_test.jsonl"), "snli", "snli-test")
    dev = _labelled(read_jsonl(data_dir / "snli_dev.jsonl"), "snli", "snli-dev")
    dev_train, held = _split_by_draw(dev, HELD_OUT_SIZE, HELD_OUT_SEED)
    return train + dev_train, held


def vitaminc(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(train, held out): whole pages drawn until the held-out side has 1,000 pairs."""
    rows = []
    for row in read_jsonl(data_dir / "vitaminc_bigbench.jsonl"):
        for one in _labelled([row], "vitaminc", "vitc"):
            one["page"] = row.get("page", "")
            rows.append(one)
    pages = sorted({r["page"] for r in rows})
    random.Random(HELD_OUT_SEED).shuffle(pages)
    by_page: dict[str, int] = {}
    for r in rows:
        by_page[r["page"]] = by_page.get(r["page"], 0) + 1
    held_pages: set[str] = set()
    count = 0
    for page in pages:
        if count >= min(HELD_OUT_SIZE, len(rows) // 2):
            break
        held_pages.add(page)
        count += by_page[page]
    return (
        [r for r in rows if r["page"] not in held_pages],
        [r for r in rows if r["page"] in held_pages],
    )


_WORD = re.compile(r"\w+")


def best_window(document: str, hypothesis: str, sentences_per_window: int = 2) -> str:
    """The window of the document that shares the most words with ``hypothesis``.

    FRANK labels a summary sentence against a whole article; for training, the pair is cut
    down to the passage the sentence most likely came from (word overlap), which is where a
    summary's error also lies.
    """
    from models.windows import sentence_windows

    words = {w.lower() for w in _WORD.findall(hypothesis)}
    best, best_score = document[:1000], -1.0
    for window in sentence_windows(document, size=sentences_per_window):
        text = window.text
        overlap = len(words & {w.lower() for w in _WORD.findall(text)})
        score = overlap / (1 + 0.01 * len(text))
        if score > best_score:
            best, best_score = text, score
    return best


def frank(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(train = ``valid``, one window each; held out = ``test``, whole documents)."""
    train, held = [], []
    for row in read_jsonl(data_dir / "frank.jsonl"):
        one = _labelled([row], "frank", "frank")
        if not one:
            continue
        if row.get("split") == "valid":
            one[0]["premise"] = best_window(row["premise"], row["hypothesis"])
            train.append(one[0])
        else:
            one[0]["label_binary"] = row.get("label_binary")
            held.append(one[0])
    return train, held


def news_editions(corpus_dir: Path | None = None) -> dict[str, list[Path]]:
    """The corpus files by edition, as ``editions.json`` lists them; every ``*.jsonl`` of the
    folder must be in exactly one edition (a file left out would be silently untrained). A
    folder without the file is one edition."""
    folder = Path(corpus_dir or NEWS_CORPUS_DIR)
    if not (folder / NEWS_EDITIONS_FILE).is_file():
        return {"1": sorted(folder.glob("*.jsonl"))}
    listed = json.loads((folder / NEWS_EDITIONS_FILE).read_text(encoding="utf-8"))
    editions = {name: [folder / f for f in files] for name, files in listed.items()}
    named = [p.name for files in editions.values() for p in files]
    present = sorted(p.name for p in folder.glob("*.jsonl"))
    if sorted(named) != present:
        raise ValueError(
            f"{folder / NEWS_EDITIONS_FILE} must list every corpus file once; "
            f"listed {sorted(named)}, present {present}"
        )
    return editions


def news_corpus(corpus_dir: Path | None = None) -> tuple[list[dict], list[dict]]:
    """(train, held out): the written corpus, 10 % of premises held out with all their pairs.

    The draw is made within each edition: the held-out slice of an earlier edition stays
    what it was when later checkpoints, initialised from models trained on it, are made."""
    train: list[dict] = []
    held_out: list[dict] = []
    for files in news_editions(corpus_dir).values():
        rows = [{**row, "source": "news"} for path in files for row in read_jsonl(path)]
        premises = sorted({r["premise"] for r in rows})
        random.Random(HELD_OUT_SEED).shuffle(premises)
        held = set(premises[: max(1, round(NEWS_HELD_OUT_FRACTION * len(premises)))])
        train += [r for r in rows if r["premise"] not in held]
        held_out += [r for r in rows if r["premise"] in held]
    return train, held_out


def load_source(name: str, data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(train, held out) rows of one source."""
    readers = {"mnli": mnli, "snli": snli, "vitaminc": vitaminc, "frank": frank}
    if name == "news":
        return news_corpus()
    if name not in readers:
        raise ValueError(f"unknown source {name!r}; choose from {', '.join(SOURCES)}")
    return readers[name](Path(data_dir))


def write_held_out(data_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Write every source's held-out slice as ``<source>_held_out.jsonl``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in SOURCES:
        _, held = load_source(name, data_dir)
        path = out_dir / f"{name}_held_out.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for row in held:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m models.training.sources --data DIR --out DIR``: write the held-out slices
    (``factcheck evaluate --pairs`` reads them; ``make evaluate`` runs this first)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m models.training.sources", description=main.__doc__
    )
    parser.add_argument("--data", required=True, type=Path, help="the public NLI data folder")
    parser.add_argument("--out", required=True, type=Path, help="where to write the slices")
    args = parser.parse_args(argv)
    for name, path in write_held_out(args.data, args.out).items():
        print(f"{name}: {sum(1 for _ in read_jsonl(path))} pairs -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
