# Two commands on a fresh machine:  `make run`  (service on the seed corpus)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# SNLI and SICK, read by the evaluation and benchmark recipes only (never committed).
NLI_DATA ?= ../shared/data/nli

.PHONY: run test install lint bench evaluate clean

# The stamp is rebuilt when pyproject.toml changes, so `make` re-installs only when needed.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned in pyproject.toml (2.13.0, CPU build); the test extra adds pytest & co.
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	HF_HUB_OFFLINE=1 $(BIN)/factcheck serve --host $(HOST) --port $(PORT)

test: install
	HF_HUB_OFFLINE=1 $(BIN)/ruff check .
	HF_HUB_OFFLINE=1 $(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check service models evaluation tests

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/factcheck bench --out runs/bench --data $(NLI_DATA)

evaluate: install
	HF_HUB_OFFLINE=1 $(BIN)/factcheck evaluate --out runs/evaluate \
		--pairs evaluation/data/news_pairs.jsonl \
		--pairs $(NLI_DATA)/snli_dev.jsonl \
		--pairs $(NLI_DATA)/sick.tsv --split TEST \
		--claims evaluation/data/claims.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
