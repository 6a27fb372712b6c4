# The two commands a newcomer needs are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
BIN := .venv/bin
export GIS311_HOME ?= $(CURDIR)/.gis311

.PHONY: bootstrap demo test lint bench stop

bootstrap:
	@./scripts/bootstrap

demo: bootstrap
	$(BIN)/gis311 db start
	$(BIN)/gis311 db upgrade
	$(BIN)/gis311 serve

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: bootstrap
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

stop:
	$(BIN)/gis311 db stop
