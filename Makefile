# The two commands a user needs: `make lab` and `make test`. Each sets itself up first.
.PHONY: lab test setup notebooks site doctor clean

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

setup:
	@scripts/ensure-graphviz
	@scripts/ensure-venv

# JupyterLab on 127.0.0.1 with token auth (the URL with the token is printed below).
lab: setup
	.venv/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) notebooks/00_start_here.ipynb

# Unit tests, every notebook under strict nbval, and the browser tests.
test: setup
	@scripts/ensure-chromium
	.venv/bin/python -m pytest tests notebooks --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/sanitize.cfg -rs --durations=15

# Re-run every notebook from its source in notebooks/src and store the outputs.
notebooks: setup
	.venv/bin/python tools/build_notebooks.py $(N)

# The offline site: build/site/index.html and one page per notebook, explorers working without a kernel.
site: setup
	.venv/bin/python tools/build_site.py build/site

doctor: setup
	.venv/bin/python -m autogradviz doctor

clean:
	rm -rf .venv build
