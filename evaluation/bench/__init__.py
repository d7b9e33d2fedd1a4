"""``factcheck bench``: the project's inference path against the naive one, in one run.

It measures the service as it is deployed (the services' NLI model, the engine's ingest and
corpus sweep, ``factcheck serve`` over HTTP with its embedded Redis). One module per job:

* :mod:`~evaluation.bench.plan`: the sections, the sizes of a run, its errors;
* :mod:`~evaluation.bench.data`: distinct pairs, generated pairs and claims, synthetic corpora;
* :mod:`~evaluation.bench.machine`: CPU, library versions, other processes' CPU share;
* :mod:`~evaluation.bench.nli` (section **nli**): pairs/s of
  ``sentence_transformers.CrossEncoder(checkpoint).predict`` (the naive baseline) and of
  :class:`~models.nli.NliModel` with the configured backend, timed alternately on the same
  distinct pairs, with the accuracy of both (SNLI dev accuracy, news-pair macro-F1);
* :mod:`~evaluation.bench.embed` (section **embed**): sentences/s of the embedder;
* :mod:`~evaluation.bench.http` and :mod:`~evaluation.bench.processes` (section **http**):
  ``POST /check`` latency p50/p95 against ``factcheck serve`` in a subprocess, cold then
  warm, and the server's peak memory;
* :mod:`~evaluation.bench.corpus` (sections **ingest** and **sweep**): synthetic corpora of
  1×, 10× and 100× the seed corpus, ingested article by article through the service API
  (ingest time and its growth against linear), then swept for contradictions (candidate
  pairs, at most n·k, and NLI time);
* :mod:`~evaluation.bench.report`: the table; :mod:`~evaluation.bench.run`: one run.
"""

from evaluation.bench.plan import SECTIONS, BenchError, BenchPlan
from evaluation.bench.report import format_report
from evaluation.bench.run import run_bench

__all__ = ["SECTIONS", "BenchError", "BenchPlan", "format_report", "run_bench"]
