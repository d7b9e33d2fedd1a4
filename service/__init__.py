"""The factcheck service: the core (claims, store, retrieval, verdicts, engine, the
transport-neutral ``CheckService`` and the ``Services`` composition root) and, above it,
its adapters: ``service.api`` (REST) and ``service.cli`` (``factcheck``). See
docs/architecture.md."""
