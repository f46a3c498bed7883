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
.PHONY: help setup lab report quick test lint format figures lock clean app browser docs soundfonts

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'
	@echo "  variables: PARAMS=$(PARAMS)  RUN=<timestamp>  PORT=$(PORT)"

setup: $(STAMP) ## create .venv, install genrelab with its test tools and Dask, and the git hook of make lint + nbstripout (runs once)

# The git hook runs .pre-commit-config.yaml before each commit (make lint's checks; notebooks saved
# from Lab lose their outputs on the way in); skipped outside a git checkout.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,dask]'
	if git rev-parse --git-dir >/dev/null 2>&1; then $(BIN)/pre-commit install; fi
	touch $(STAMP)

# as root (a container) JupyterLab refuses to start without --allow-root
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP) ## open JupyterLab on notebooks/ (the project's .jupyter/ settings: no news pop-up; adds --allow-root as root)
	JUPYTER_CONFIG_PATH=$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
		$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ROOT)

report: $(STAMP) ## run every numbered notebook with papermill into runs/<RUN> (PARAMS=..., RUN=...)
	$(BIN)/python -m genrelab.report --params $(PARAMS) --run-id $(RUN)

quick: $(STAMP) ## the same on params/quick.yaml (subsampled, for a fast check)
	$(BIN)/python -m genrelab.report --params params/quick.yaml --run-id $(RUN)-quick

test: $(STAMP) browser ## run the test suite (pytest; notebooks on params/quick.yaml, the app in headless chromium)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff (lint and formatting of lib/, tests/, benchmarks/, notebooks/) and mypy on lib/
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

docs: $(STAMP) ## the documentation site into docs/_build/html (Sphinx; warnings are errors)
	$(BIN)/python -m sphinx -b html -W --keep-going -j auto docs docs/_build/html

figures: $(STAMP) ## publish runs/latest (a complete run): figures/, results/results.json, README results, docs/study/
	$(BIN)/python -m genrelab.report --publish latest

lock: $(STAMP) ## re-pin constraints.txt to what .venv holds now
	$(BIN)/pip freeze --exclude-editable | grep -vi '^genrelab' > constraints.txt

clean: ## remove the virtualenv, caches and runs (data/raw and figures/ stay)
	rm -rf $(VENV) data/cache .pytest_cache .hypothesis
	find runs -mindepth 1 -not -name .gitkeep -delete
	find . -name __pycache__ -prune -exec rm -rf {} +
