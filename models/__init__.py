"""Pure inference: the sentence embedder and the NLI cross-encoder.

Nothing here knows about HTTP, Redis or the corpus; ``service`` and ``evaluation``
import this package, never the reverse.
"""

# onnxruntime must be loaded before usearch (service.index): the usearch wheel carries its
# own static libstdc++, and importing onnxruntime after it crashes the process (SIGSEGV in
# std::codecvt while onnxruntime initialises). Importing it here, first, keeps any process
# that uses models/ safe whatever it imports next.
import onnxruntime  # noqa: F401, I001

from models.embedder import Embedder, default_embedder_path
from models.nli import NLI_LABELS, NliModel, default_nli_path, resolve_label_ids

__all__ = [
    "NLI_LABELS",
    "Embedder",
    "NliModel",
    "default_embedder_path",
    "default_nli_path",
    "resolve_label_ids",
]
