# Engagement Lab. Every target that runs project code creates the virtual environment first if it
# is missing (lock, browser-deps and clean do not need it).
# The environment is installed from requirements.lock (exact versions), compiled from pyproject.toml.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export PYTHONDONTWRITEBYTECODE :=
SPEC ?= experiments/personal_content.toml
# Jupyter refuses to run as root unless told; containers and CI machines often are root
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test report sample-data validate bench rerun app lock browser-deps clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check "uv==0.13.9"
	$(VENV)/bin/uv pip sync -q --python $(PY) --compile-bytecode requirements.lock \
	  || { echo "uv pip sync failed (its bytecode compilation can fail on a busy machine); once more"; \
	       $(VENV)/bin/uv pip sync -q --python $(PY) --compile-bytecode requirements.lock; }
	$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

## JupyterLab on notebooks/, ready on the bundled sample data
lab: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter lab 01_load_and_explore.ipynb $(ROOT_FLAG)

## unit, doctest, notebook (nbval) and browser tests, one worker per core; a file's tests stay on
## one worker, so each notebook's cells run in order in one kernel (nbval needs that)
test: $(STAMP) browser-deps
	$(PY) -m pytest -n auto --dist loadfile

## execute the notebooks on the sample data and write self-contained HTML to reports/
report: $(STAMP)
	$(PY) -m toolkit report --out reports

## regenerate data/sample/ byte for byte from its fixed seed
sample-data: $(STAMP)
	$(PY) -m toolkit sample-data --out data/sample

## full calibration study, tables written to reports/validation.md (takes a while; docs/validation.md reads them)
validate: $(STAMP)
	$(PY) -m toolkit.calibration --out reports/validation.md

## speed benchmarks, figures for benchmarks/README.md
bench: $(STAMP)
	$(PY) benchmarks/run.py

## rerun an experiment spec: make rerun SPEC=experiments/x.toml
rerun: $(STAMP)
	$(PY) -m toolkit run "$(SPEC)"

## serve the notebooks as a click-through app (Voila, offline: share/jupyter/voila/templates/engagement-lab)
app: $(STAMP)
	JUPYTER_PATH=$(CURDIR)/share/jupyter $(VENV)/bin/voila notebooks/01_load_and_explore.ipynb --no-browser --Voila.ip=127.0.0.1 --template=engagement-lab --VoilaExecutor.timeout=600

## recompile requirements.lock after changing pyproject.toml
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

## Debian's Chromium for the browser tests (skipped when it cannot be installed outside CI)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and not root: browser tests will skip (sudo apt-get install chromium)"; fi; }

clean:
	rm -rf $(VENV) reports .pytest_cache
