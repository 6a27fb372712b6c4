# The two commands a newcomer needs are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
BIN := .venv/bin
export GIS311_HOME ?= $(CURDIR)/.gis311

.PHONY: bootstrap demo test lint bench stop

bootstrap:
	@./scripts/bootstrap

# The demo city's wards make the jurisdiction: reports outside Cambridge are refused.
demo: export GIS311_JURISDICTION_LAYER ?= ward
demo: bootstrap
	$(BIN)/gis311 db start
	$(BIN)/gis311 db upgrade
	$(BIN)/gis311 demo load
	@./scripts/serve-demo

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	@./scripts/bootstrap --browser
	$(BIN)/pytest

bench: bootstrap
	@./scripts/bootstrap --bench
	@for script in bench/*.py; do \
	  case "$$script" in */__init__.py|*/support.py) continue ;; esac; \
	  echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

stop:
	$(BIN)/gis311 db stop
