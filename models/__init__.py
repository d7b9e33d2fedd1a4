"""Pure inference: the sentence embedder and the NLI cross-encoder.

Nothing here knows about HTTP, Redis or the corpus; ``service`` and ``evaluation``
import this package, never the reverse.
"""

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
