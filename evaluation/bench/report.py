"""The human-readable table of a bench run (``bench.txt``)."""

from __future__ import annotations

from typing import Any

#: How the report names the project's NLI path, by backend.
PROJECT_TITLES = {"onnx": "NliModel onnx (fused int8)", "torch": "NliModel torch"}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        value = f"{value:,.4g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value}{unit}"


def format_report(results: dict[str, Any]) -> str:
    """The human-readable table of a :func:`run_bench` result."""
    m = results.get("machine", {})
    lines = [
        f"factcheck bench{' --quick' if results.get('quick') else ''}: {m.get('cpu')}, "
        f"{m.get('cpus')} CPUs; torch {m.get('torch')}, onnxruntime {m.get('onnxruntime')}",
        f"checkpoint {results.get('checkpoint')}",
        "",
    ]
    if "speedup" in results:
        lines += [
            f"NLI on {results['nli_pairs']} distinct pairs ({results.get('nli_data')}), "
            f"median of {results['nli_rounds']} runs",
            f"  {'':<34}{'pairs/s':>10}{'SNLI acc':>10}{'news F1':>10}",
        ]
        for name, title in (
            ("baseline", "CrossEncoder.predict (torch fp32)"),
            ("project", PROJECT_TITLES.get(results.get("nli_backend"), "NliModel")),
        ):
            lines.append(
                f"  {title:<34}{_fmt(results[f'nli_pairs_per_s_{name}']):>10}"
                f"{_fmt(results[f'accuracy_{name}']):>10}"
                f"{_fmt(results[f'news_macro_f1_{name}']):>10}"
            )
        share = results.get("nli_other_cpu_share")
        if share is not None:
            busy = "  (BUSY MACHINE: figures unreliable)" if share > 0.05 else ""
            lines.append(f"  other processes used {share:.0%} of the CPU meanwhile{busy}")
        lines.append(
            f"  speedup {results['speedup']}×; labels agree on "
            f"{results['label_agreement']:.1%} of pairs; accuracy on "
            f"{results['accuracy_pairs']} SNLI pairs, macro-F1 on {results['news_pairs']} "
            "news pairs"
        )
        lines.append("")
    if "embed_sentences_per_s" in results:
        lines += [
            f"embeddings: {_fmt(results['embed_sentences_per_s'])} sentences/s "
            f"({results['embed_sentences']} sentences)",
            "",
        ]
    if results.get("check_status") == "measured":
        lines += [
            f"POST /check (top_k {results['check_top_k']}, seed corpus, embedded Redis)",
            f"  cold ({results['check_requests_cold']} new claims):   p50 "
            f"{results['check_p50_ms_cold']} ms  p95 {results['check_p95_ms_cold']} ms  "
            f"cache {results['check_cache_cold']}",
            f"  warm ({results['check_requests_warm']} repeats):      p50 "
            f"{results['check_p50_ms_warm']} ms  p95 {results['check_p95_ms_warm']} ms  "
            f"cache {results['check_cache_warm']}",
            f"  first request {results['check_first_ms']} ms; server ready after "
            f"{results['server_start_s']} s; server peak RSS "
            f"{_fmt(results['server_peak_rss_mb'], ' MiB')} (children: "
            f"{results['server_children_peak_rss_mb']} MiB)",
            "",
        ]
    else:
        lines += [f"POST /check: {results.get('check_status')}", ""]
    if results.get("ingest"):
        lines.append("ingest (articles added one by one through the service API)")
        lines.append(
            f"  {'size':>5}{'articles':>10}{'claims':>8}{'total s':>9}{'ms/article':>12}"
            f"{'first 10%':>11}{'last 10%':>10}"
        )
        for r in results["ingest"]:
            lines.append(
                f"  {str(r['multiplier']) + '×':>5}{r['articles']:>10}{r['claims']:>8}"
                f"{r['ingest_s']:>9.1f}{r['ingest_ms_per_article']:>12.1f}"
                f"{r['ingest_ms_first_tenth']:>11.1f}{r['ingest_ms_last_tenth']:>10.1f}"
            )
        if "ingest_n_ratio" in results:
            a, b = results["ingest"][-2]["multiplier"], results["ingest"][-1]["multiplier"]
            growth = results["ingest_growth_vs_linear"]
            lines.append(
                f"  {b}×/{a}×: articles ×{results['ingest_n_ratio']}, ingest time "
                f"×{results['ingest_time_ratio']}: {growth}× linear "
                + ("(within 1.5×)" if growth <= 1.5 else "(MORE THAN 1.5× LINEAR)")
            )
        share = results.get("ingest_other_cpu_share")
        if share is not None:
            lines.append(f"  other processes used {share:.0%} of the CPU meanwhile")
        lines.append("")
    if results.get("sweep"):
        lines.append("corpus sweep (contradictions over the whole corpus)")
        lines.append(
            f"  {'size':>5}{'claims':>8}{'pairs':>8}{'n·k':>8}{'NLI pairs':>11}"
            f"{'cand. s':>9}{'NLI s':>8}{'NLI cpu s':>10}{'sweep s':>9}{'found':>7}"
        )
        for r in results["sweep"]:
            lines.append(
                f"  {str(r['multiplier']) + '×':>5}{r['claims']:>8}{r['candidate_pairs']:>8}"
                f"{r['pair_bound']:>8}{r['nli_pairs_scored']:>11}{r['candidates_s']:>9.3f}"
                f"{r['nli_s']:>8.1f}{r.get('nli_cpu_s', float('nan')):>10.1f}{r['sweep_s']:>9.1f}"
                f"{r['contradictions']:>7}"
            )
        if "sweep_n_ratio" in results:
            a, b = results["sweep"][-2]["multiplier"], results["sweep"][-1]["multiplier"]
            lines.append(
                f"  {b}×/{a}×: claims ×{results['sweep_n_ratio']}, NLI pairs "
                f"×{results['sweep_pairs_ratio']}, sweep time ×{results['sweep_time_ratio']} "
                + ("(no faster than linear)" if results["sweep_at_most_linear"] else "(FASTER)")
                + f", NLI CPU time ×{results.get('sweep_nli_cpu_ratio')}"
            )
        share = results.get("sweep_other_cpu_share")
        if share is not None:
            lines.append(f"  other processes used {share:.0%} of the CPU meanwhile")
    return "\n".join(lines).rstrip() + "\n"
