# The two commands that matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SCENARIO ?=

.PHONY: install run stop migrate tenant test test-unit test-green test-integration bench check-deploy clean eval-triage

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip<27' 'setuptools<81' wheel
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) scripts/run.py up

stop:
	@$(PY) scripts/run.py down

migrate: install
	$(PY) scripts/run.py migrate

tenant: install
	@$(PY) scripts/run.py tenant "$(NAME)"

# Plain tests (domain rules, contracts, gateway units), then in-process nameko tests in a
# run of their own with eventlet patched first, then the whole system as processes.
test: install
	$(PY) -m pytest -q libs/common/tests/unit services/*/tests
	$(PY) scripts/green_pytest.py -q libs/common/tests/green
	$(PY) -m pytest -q tests/integration

test-unit: install
	$(PY) -m pytest -q libs/common/tests/unit services/*/tests

test-green: install
	$(PY) scripts/green_pytest.py -q libs/common/tests/green

test-integration: install
	$(PY) -m pytest -q tests/integration

bench: install
	$(PY) -m bench $(SCENARIO)

# Local triage classifier on the held-out corpus: per-category precision/recall, macro F1, linking accuracy.
eval-triage: install
	$(PY) -m triage.evaluate

check-deploy:
	bash deploy/check.sh

clean: stop
	rm -rf $(VENV) .run
