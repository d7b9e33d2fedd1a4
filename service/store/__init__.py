"""Where the service keeps things: the corpus (SQLite), the claim vector index (usearch) and
the Redis caches (NLI pairs, answers), with the embedded Redis server behind them."""
