# The two commands a user needs: `make lab` and `make test`. Each sets itself up first.
# Any Python from 3.11 to 3.14: `make lab PYTHON=python3.13` (default: python3).
.PHONY: lab test test-pythons setup notebooks site doctor dist clean

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Python keeps the bytecode it compiles: some images set PYTHONDONTWRITEBYTECODE, and then every
# kernel and test process compiles torch from source again (import torch 6-7 s instead of 2-3 s).
unexport PYTHONDONTWRITEBYTECODE

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

setup:
	@scripts/ensure-graphviz
	@scripts/ensure-venv

# JupyterLab on 127.0.0.1 with token auth, opened at 00 (the URL with the token is printed below).
# Kernels talk to it over local sockets (IPC), not TCP.
lab: setup
	.venv/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) --KernelManager.transport=ipc \
	  --LabApp.default_url=/lab/tree/00_start_here.ipynb --ServerApp.root_dir=notebooks

# Unit tests, every notebook under strict nbval, and the browser tests, on every core (pytest-xdist:
# a notebook's cells stay on one worker, see conftest.py; the long browser tests are handed out first).
test: setup
	@scripts/ensure-chromium
	.venv/bin/python -m pytest tests notebooks $(NBVAL) -n auto --maxprocesses=4 --dist loadgroup --no-loadscope-reorder -rs --durations=10

# The unit tests and every notebook under nbval again, under each Python 3.11-3.14 found here.
test-pythons:
	@scripts/ensure-graphviz
	@scripts/test-pythons

# Re-run every notebook from its source in notebooks/src and store the outputs.
notebooks: setup
	.venv/bin/python tools/build_notebooks.py $(N)

# The offline site: build/site/index.html and one page per notebook, explorers working without a kernel.
site: setup
	.venv/bin/python tools/build_site.py build/site

doctor: setup
	.venv/bin/python -m autogradviz doctor

# The wheel a user can pip install, in dist/.
dist: setup
	.venv/bin/python -m pip wheel --no-deps -w dist .

clean:
	rm -rf .venv .venv-3.* build dist
