# Two commands matter: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/massdm demo
	$(BIN)/massdm serve

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) massdm.db massdm.db-wal massdm.db-shm media .pytest_cache
