# Two commands on a fresh machine:  `make run`  (service on the seed corpus)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# SNLI and SICK, read by the evaluation and benchmark recipes only (never committed).
NLI_DATA ?= ../shared/data/nli

.PHONY: run test install lint lock bench evaluate clean

# Installs come from requirements.lock: every package pinned with its hashes (torch the
# 2.13.0 CPU build), so a fresh clone gets exactly what was tested. The project itself is
# then installed without dependencies. The stamp is rebuilt when the lock or pyproject.toml
# changes, so `make` re-installs only when needed.
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

run: install
	HF_HUB_OFFLINE=1 $(BIN)/factcheck serve --host $(HOST) --port $(PORT)

test: install
	sh tests/plugin/ensure-browser.sh
	HF_HUB_OFFLINE=1 $(BIN)/ruff check .
	HF_HUB_OFFLINE=1 $(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check service models evaluation tests

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/factcheck bench --out runs/bench --data $(NLI_DATA)

# The fixed held-out slices (models/training/sources.py) are written first; FRANK's
# articles are read in sentence windows, as POST /verify reads a document.
evaluate: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m models.training.sources --data $(NLI_DATA) --out runs/held_out
	HF_HUB_OFFLINE=1 $(BIN)/factcheck evaluate --out runs/evaluate \
		--pairs evaluation/data/news_pairs.jsonl \
		--pairs runs/held_out/news_held_out.jsonl \
		--pairs runs/held_out/mnli_held_out.jsonl \
		--pairs runs/held_out/snli_held_out.jsonl \
		--pairs runs/held_out/vitaminc_held_out.jsonl \
		--claims evaluation/data/claims.jsonl
	HF_HUB_OFFLINE=1 $(BIN)/factcheck evaluate --out runs/evaluate-sick \
		--pairs $(NLI_DATA)/sick.tsv --split TEST
	HF_HUB_OFFLINE=1 $(BIN)/factcheck evaluate --out runs/evaluate-frank \
		--pairs runs/held_out/frank_held_out.jsonl --windows sentence

# The one command that upgrades the pins: re-resolve pyproject.toml's ranges to the newest
# releases (pip-tools in a throw-away venv), then run `make test` before committing the lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --upgrade --extra test --generate-hashes --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
