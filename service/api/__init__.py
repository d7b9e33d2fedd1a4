"""The REST API: a thin HTTP adapter over :class:`service.checks.CheckService`.

``app`` builds the FastAPI app, ``routes`` hold one router per resource, ``schemas`` the JSON
shapes, ``errors`` the one mapping of domain errors to HTTP answers, ``deps`` the
dependencies, ``security`` the API keys, ``metrics`` Prometheus, ``body_guard`` the body
limits, ``claimreview`` the schema.org output, and ``serve`` runs it all under uvicorn.
"""
