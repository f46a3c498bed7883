# genrelab: `make help` lists the targets. The first two a newcomer needs: `make report`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?= params/default.yaml
RUN ?= $(shell date +%Y%m%d-%H%M%S)
PORT ?= 8866

.DEFAULT_GOAL := help
.PHONY: help setup lab report quick test lint format figures lock clean app browser soundfonts

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'
	@echo "  variables: PARAMS=$(PARAMS)  RUN=<timestamp>  PORT=$(PORT)"

setup: $(STAMP) ## create .venv and install genrelab with its test tools and Dask (runs once)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,dask]'
	touch $(STAMP)

lab: $(STAMP) ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab --notebook-dir=notebooks

report: $(STAMP) ## run every numbered notebook with papermill into runs/<RUN> (PARAMS=..., RUN=...)
	$(BIN)/python -m genrelab.report --params $(PARAMS) --run-id $(RUN)

quick: $(STAMP) ## the same on params/quick.yaml (subsampled, for a fast check)
	$(BIN)/python -m genrelab.report --params params/quick.yaml --run-id $(RUN)-quick

test: $(STAMP) browser ## run the test suite (pytest; notebooks on params/quick.yaml, the app in headless chromium)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff (lint everywhere, notebooks included; formatting of the .py files) and mypy on lib/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## ruff: sort imports, fix what is safe to fix, format
	$(BIN)/ruff check --fix --select I .
	$(BIN)/ruff format .

app: $(STAMP) ## serve notebooks/05_predictor.ipynb with Voilà on 127.0.0.1:$(PORT)
	$(BIN)/voila notebooks/05_predictor.ipynb --no-browser --port=$(PORT) --Voila.ip=127.0.0.1 \
		--preheat_kernel=True --pool_size=1

browser: ## install Debian's chromium for the browser test, if /usr/bin/chromium is missing (as root)
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	else echo "The browser test needs Debian's chromium (it is skipped without it). Install it with:"; \
	     echo "    sudo apt-get update && sudo apt-get install -y chromium"; fi

soundfonts: ## install the development soundfonts from Debian (csound GMbank, OPL3; as root)
	@if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y csound-soundfont opl3-soundfont; \
	else echo "The extra soundfonts (their tests and benchmarks skip without them). Install them with:"; \
	     echo "    sudo apt-get update && sudo apt-get install -y csound-soundfont opl3-soundfont"; fi

figures: $(STAMP) ## publish runs/latest (a complete run): figures/, results/results.json, README results
	$(BIN)/python -m genrelab.report --publish latest

lock: $(STAMP) ## re-pin constraints.txt to what .venv holds now
	$(BIN)/pip freeze --exclude-editable | grep -vi '^genrelab' > constraints.txt

clean: ## remove the virtualenv, caches and runs (data/raw and figures/ stay)
	rm -rf $(VENV) data/cache .pytest_cache .hypothesis
	find runs -mindepth 1 -not -name .gitkeep -delete
	find . -name __pycache__ -prune -exec rm -rf {} +
