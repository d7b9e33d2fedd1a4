"""The ONNX Runtime fast path behind ``NliModel(backend="onnx")``.

A checkpoint is turned into an int8 ONNX graph once, in three steps, and the result is cached
under a key made of the checkpoint's content hash and the recipe:

1. **export** with ``torch.onnx.export`` (TorchScript exporter, opset 17, dynamic batch and
   sequence axes, eager attention so the graph has the shape ORT's fusions look for); for
   BERT classifiers the last layer is computed for the [CLS] token only, which is all the
   head reads (exact; about a seventh less work);
2. **fuse** with ``onnxruntime.transformers.optimizer`` (``model_type="bert"``): embeddings +
   layer norm, multi-head attention, skip + layer norm and bias + GELU become single kernels;
3. **quantise** the fused graph with ``quantize_dynamic``: int8 weights for ``MatMul`` and
   ``Attention``, activations quantised per batch at run time. Pooler and classifier
   (``Gemm``) and the embedding tables stay float32.

This module imports torch (the export needs it); ``models.nli`` imports it lazily. Nothing
here reads service settings: the caller passes the cache directory (default
``~/.cache/factcheck/onnx``, or ``$XDG_CACHE_HOME/factcheck/onnx``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from models.checkpoints import CALIBRATION_FILE

logger = logging.getLogger(__name__)

#: Files whose bytes define a checkpoint's outputs (weights and config; not the tokenizer,
#: which the ONNX graph does not contain).
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
#: Model types whose graphs ORT's ``bert`` fusions understand.
_BERT_LIKE = {"bert", "roberta", "xlm-roberta", "camembert", "electra", "mpnet", "distilbert"}


@dataclass(frozen=True)
class OnnxRecipe:
    """How the ONNX graph is built; part of the cache key.

    :param opset: ONNX opset of the export.
    :param optimize: fuse operators with ``onnxruntime.transformers.optimizer``.
    :param quantize: int8 dynamic quantisation of ``MatMul`` and ``Attention`` weights.
    :param per_channel: one int8 scale per output channel instead of one per tensor.
    :param reduce_range: 7-bit weights; avoids the int16 saturation of the AVX2 (non-VNNI)
        u8×s8 kernels.
    :param cls_only_last_layer: compute the last layer for the [CLS] token only (BERT
        classifiers; exact).
    """

    opset: int = 17
    optimize: bool = True
    quantize: bool = True
    per_channel: bool = True
    reduce_range: bool = True
    cls_only_last_layer: bool = True

    def tag(self) -> str:
        parts = [f"opset{self.opset}", "fused" if self.optimize else "plain"]
        if self.cls_only_last_layer:
            parts.append("cls")
        if self.quantize:
            parts.append(
                "int8" + ("-pc" if self.per_channel else "") + ("-rr" if self.reduce_range else "")
            )
        else:
            parts.append("fp32")
        return "-".join(parts)


#: Bump when the build steps change in a way the recipe fields do not capture.
_BUILD_VERSION = 1


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/factcheck/onnx``, else ``~/.cache/factcheck/onnx``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "factcheck" / "onnx"


def resolve_checkpoint_dir(model_name_or_path: str) -> Path:
    """The local directory of a checkpoint: the path itself, or the hub snapshot in the local
    Hugging Face cache (downloaded unless ``HF_HUB_OFFLINE=1``)."""
    path = Path(model_name_or_path)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            model_name_or_path,
            allow_patterns=["*.json", "*.safetensors", "*.bin", "*.txt", "*.model"],
        )
    )


def checkpoint_digest(checkpoint_dir: Path) -> str:
    """SHA-256 of a checkpoint's config, calibration and weight files (names and bytes):
    what decides its probabilities, so caches keyed by it never serve another model's."""
    files = sorted(
        p
        for p in checkpoint_dir.iterdir()
        if p.is_file()
        and (p.name in ("config.json", CALIBRATION_FILE) or p.suffix in _WEIGHT_SUFFIXES)
    )
    if not any(p.suffix in _WEIGHT_SUFFIXES for p in files):
        raise FileNotFoundError(f"{checkpoint_dir}: no model weights (*.safetensors or *.bin)")
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def cache_key(checkpoint_dir: Path, recipe: OnnxRecipe) -> str:
    """Directory name of a built graph: checkpoint name, recipe and a hash of (checkpoint
    content, recipe, onnxruntime version)."""
    import onnxruntime

    material = json.dumps(
        {
            "checkpoint": checkpoint_digest(checkpoint_dir),
            "recipe": asdict(recipe),
            "build": _BUILD_VERSION,
            "onnxruntime": onnxruntime.__version__,
        },
        sort_keys=True,
    )
    short = hashlib.sha256(material.encode()).hexdigest()[:16]
    return f"{checkpoint_dir.name}-{recipe.tag()}-{short}"


def onnx_model_path(
    model_name_or_path: str, cache_dir: Path | None = None, recipe: OnnxRecipe | None = None
) -> Path:
    """The cached ONNX graph for a checkpoint, built on first use (seconds).

    Safe when several processes build at once: each builds in its own temporary directory
    and the first to finish publishes it with an atomic rename.
    """
    recipe = recipe or OnnxRecipe()
    checkpoint_dir = resolve_checkpoint_dir(model_name_or_path)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache_dir / cache_key(checkpoint_dir, recipe)
    model_file = target / "model.onnx"
    if model_file.exists():
        return model_file
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    work.chmod(0o755)
    try:
        logger.info(
            "building the ONNX graph of %s (%s) in %s", checkpoint_dir, recipe.tag(), target
        )
        built = build_onnx(checkpoint_dir, work, recipe)
        built.rename(work / "model.onnx")
        for leftover in work.glob("*.onnx*"):
            if leftover.name != "model.onnx":
                leftover.unlink()
        (work / "recipe.json").write_text(
            json.dumps({"checkpoint": str(checkpoint_dir), **asdict(recipe)}, indent=2)
        )
        try:
            os.replace(work, target)
        except OSError:
            if not model_file.exists():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return model_file


def _input_names(tokenizer) -> list[str]:
    wanted = ("input_ids", "attention_mask", "token_type_ids")
    return [name for name in wanted if name in tokenizer.model_input_names]


def build_onnx(checkpoint_dir: Path, work_dir: Path, recipe: OnnxRecipe) -> Path:
    """Export, fuse and quantise ``checkpoint_dir`` into ``work_dir``.

    The float32 export is checked against PyTorch on two pairs before going further.

    :returns: path of the final graph inside ``work_dir``.
    :raises RuntimeError: the export disagrees with PyTorch.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint_dir, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    names = _input_names(tokenizer)
    sample = tokenizer(
        ["A man is playing a guitar on stage.", "Two dogs run."],
        ["Someone is making music.", "Cats are sleeping on the sofa in the sun."],
        padding=True,
        return_tensors="pt",
    )
    args = tuple(sample[name] for name in names)
    exported = work_dir / "export.onnx"
    cls_only = recipe.cls_only_last_layer and _cls_only_applies(model)
    # The exporter restores the wrapper's training flag afterwards: it must be eval too.
    wrapper = (_ClsOnlyLastLayer(model, names) if cls_only else _Logits(model, names)).eval()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        # The reference is the unmodified model, so the check also proves the CLS-only
        # last layer exact.
        expected = model(**{n: sample[n] for n in names}).logits.float().numpy()
        torch.onnx.export(
            wrapper,
            args,
            str(exported),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={
                **{n: {0: "batch", 1: "sequence"} for n in names},
                "logits": {0: "batch"},
            },
            opset_version=recipe.opset,
            do_constant_folding=True,
            dynamo=False,
        )
    _check_close(exported, sample, names, expected)

    current = exported
    if recipe.optimize:
        current = _fuse(current, work_dir / "fused.onnx", model.config)
    if recipe.quantize:
        current = _quantize(current, work_dir / "int8.onnx", recipe)
    return current


class _Logits(torch.nn.Module):
    """The checkpoint as it is: positional inputs in ``names`` order, logits out."""

    def __init__(self, model, names: list[str]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *inputs):
        return self.model(**dict(zip(self.names, inputs))).logits


def _cls_only_applies(model) -> bool:
    """Whether ``model`` is a plain BERT classifier (pooler on the first token, linear head,
    absolute positions), for which :class:`_ClsOnlyLastLayer` is exact."""
    config = model.config
    bert = getattr(model, "bert", None)
    return (
        config.model_type == "bert"
        and bert is not None
        and bert.pooler is not None
        and isinstance(getattr(model, "classifier", None), torch.nn.Linear)
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not config.is_decoder
    )


class _ClsOnlyLastLayer(torch.nn.Module):
    """A BERT classifier whose last layer is computed for the first ([CLS]) token only.

    The head reads nothing but the first token of the last layer, so that layer needs the
    keys and values of every token but the query, attention output, feed-forward block and
    layer norms of the first token alone: about a seventh of the model's work, skipped with
    the same logits (checked against the unmodified model when the graph is built).
    """

    def __init__(self, model, names: list[str]) -> None:
        super().__init__()
        self.bert, self.classifier, self.names = model.bert, model.classifier, names

    def forward(self, *inputs):
        feeds = dict(zip(self.names, inputs))
        input_ids, mask = feeds["input_ids"], feeds["attention_mask"]
        bert = self.bert
        extended = bert.get_extended_attention_mask(mask, input_ids.shape)
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=feeds.get("token_type_ids"))
        layers = bert.encoder.layer
        for layer in layers[:-1]:
            hidden = layer(hidden, attention_mask=extended)[0]
        last = layers[-1]
        attn = last.attention.self
        batch, length, width = hidden.shape
        heads, size = attn.num_attention_heads, attn.attention_head_size

        def split(x, n):
            return x.view(batch, n, heads, size).transpose(1, 2)

        first = hidden[:, :1]
        query = split(attn.query(first), 1)
        key, value = split(attn.key(hidden), length), split(attn.value(hidden), length)
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(size) + extended
        context = torch.matmul(scores.softmax(dim=-1), value).transpose(1, 2)
        context = context.reshape(batch, 1, width)
        out = last.attention.output
        attended = out.LayerNorm(out.dense(context) + first)
        ffn = last.output.dense(
            last.intermediate.intermediate_act_fn(last.intermediate.dense(attended))
        )
        token = last.output.LayerNorm(ffn + attended)[:, 0]
        return self.classifier(bert.pooler.activation(bert.pooler.dense(token)))


def _check_close(path: Path, sample, names: list[str], expected: np.ndarray) -> None:
    session = make_session(path, num_threads=1)
    feeds = {n: sample[n].numpy().astype(np.int64) for n in names}
    got = session.run(["logits"], feeds)[0]
    if not np.allclose(got, expected, atol=1e-3):
        raise RuntimeError(
            f"the ONNX export of the NLI model disagrees with PyTorch "
            f"(max logit difference {np.abs(got - expected).max():.4f})"
        )


def _fuse(src: Path, dst: Path, config) -> Path:
    model_type = getattr(config, "model_type", "")
    if model_type not in _BERT_LIKE:
        logger.warning(
            "no operator fusion for model type %r; quantising the plain graph", model_type
        )
        return src
    from onnxruntime.transformers.optimizer import optimize_model

    noisy = [logging.getLogger(n) for n in ("fusion_base", "onnx_model", "onnx_model_bert")]
    levels = [lg.level for lg in noisy]
    for lg in noisy:
        lg.setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimized = optimize_model(
            str(src),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
            opt_level=0,  # graph fusions only; ORT applies its own at session start
        )
    for lg, level in zip(noisy, levels):
        lg.setLevel(level)
    fused = {op: n for op, n in optimized.get_fused_operator_statistics().items() if n}
    logger.info("fused operators: %s", fused)
    optimized.save_model_to_file(str(dst))
    return dst


def _quantize(src: Path, dst: Path, recipe: OnnxRecipe) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger()  # the quantiser warns through the root logger
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=recipe.per_channel,
            reduce_range=recipe.reduce_range,
            weight_type=QuantType.QInt8,
            # Fused com.microsoft ops defeat ONNX shape inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        quiet.setLevel(level)
    return dst


def make_session(path: Path, num_threads: int | None = None):
    """An ONNX Runtime CPU session: ``num_threads`` intra-op threads (default: the CPUs this
    process may use), sequential execution, all graph optimisations."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads or available_cpus()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
