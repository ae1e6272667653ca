# foveal — `make run` and `make test` install whatever is missing, then do the job.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.foveal-installed
SHARED ?= $(abspath ../shared)
export FOVEAL_WEIGHTS_PATH ?= $(SHARED)/weights

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml requirements/no-deps.txt requirements/constraints.txt scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -c requirements/constraints.txt
	$(BIN)/python -m pip install -q --no-deps -r requirements/no-deps.txt -c requirements/constraints.txt
	./scripts/system-deps.sh
	touch $(STAMP)

## run: the main job — foveal analyze (every available task) offline on sample photos and a rendered page
run: $(STAMP)
	FOVEAL_OFFLINE=1 $(BIN)/python -m foveal.samples

## test: the whole test suite, offline
test: $(STAMP)
	FOVEAL_OFFLINE=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/classify_speed.py

clean:
	rm -rf $(VENV) .pytest_cache
