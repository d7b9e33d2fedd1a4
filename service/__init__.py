"""The factcheck engine (corpus, claims, retrieval, verdicts, cache) and its REST API and CLI."""
