"""Files of a checkpoint folder beyond what transformers writes.

``calibration.json`` holds the softmax temperature fitted for the checkpoint
(:mod:`models.training.calibration`); :class:`models.nli.NliModel` applies it on every
backend, and :func:`models.onnx_nli.checkpoint_digest` covers it, so caches keyed by the
digest never serve another calibration's answers.
"""

from __future__ import annotations

import json
from pathlib import Path

CALIBRATION_FILE = "calibration.json"


def read_temperature(checkpoint_dir: str | Path) -> float:
    """The softmax temperature fitted for a checkpoint (``calibration.json``), else 1.0.

    Temperature scaling divides the logits by one scalar fitted on held-out pairs: the top
    label never changes, only how sure the probabilities say the model is.

    :raises ValueError: the file holds a temperature that is not a positive number.
    """
    path = Path(checkpoint_dir) / CALIBRATION_FILE
    if not path.is_file():
        return 1.0
    temperature = float(json.loads(path.read_text())["temperature"])
    if not temperature > 0:
        raise ValueError(f"{path}: temperature must be positive, got {temperature}")
    return temperature
