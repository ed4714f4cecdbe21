"""Fixtures for the browser tests: one JupyterLab server and one Chromium for the whole session.

On a failure the page's screenshot and the server's log are kept in test-artifacts/ and their paths
printed, for whoever reads the CI log. Every explorer redraw time is recorded, sent with the test's
report, and summarised at the end by tests/conftest.py (which the pytest-xdist controller loads).
"""
from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from .lab import ROOT, finish_stopping, shutdown_kernels, start_lab, stop_lab

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
REDRAW_SECONDS: dict[str, list[tuple[float, float]]] = defaultdict(list)  # this process's clicks: (in the page, with the driver)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests skipped: Chromium is not at {CHROMIUM}. Install Debian's chromium "
                    "(`sudo apt-get install chromium`; `make test` does it when run as root).")
    return CHROMIUM


@pytest.fixture(scope="session")
def lab(chromium, tmp_path_factory):
    server = start_lab(tmp_path_factory.mktemp("lab"))
    yield server
    stop_lab(server)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(server.log, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield chrome
        chrome.close()


VIEWPORT = {"width": 1400, "height": 1000}


def keep_evidence(tab, lab, request) -> None:
    """After a failed test: the page's screenshot and the server's log, in test-artifacts/."""
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name.replace('/', '_')}.png"
        tab.screenshot(path=str(shot), full_page=True)
        shutil.copy(lab.log, ARTIFACTS / "jupyterlab.log")
        print(f"\nscreenshot: {shot}\nserver log: {ARTIFACTS / 'jupyterlab.log'}")


@pytest.fixture
def page(browser, lab, request):
    """A new tab of its own."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    yield tab
    keep_evidence(tab, lab, request)
    context.close()
    shutdown_kernels(lab)


@pytest.fixture(scope="session")
def shared_tab(browser, lab):
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    yield tab
    finish_stopping(lab)
    context.close()


@pytest.fixture
def lab_tab(shared_tab, lab, request):
    """One tab for every notebook a worker opens, as a learner keeps JupyterLab open and opens the
    next notebook (loading JupyterLab again for each costs seconds of CPU); each test leaves it as
    it found it: no notebook open, its kernels stopping while the next test opens its notebook."""
    tab = shared_tab
    tab.set_viewport_size(VIEWPORT)
    yield tab
    keep_evidence(tab, lab, request)
    tab.evaluate(CLOSE_ALL)
    finish_stopping(lab)  # the sessions of the tests before this one are gone: list only this one's
    shutdown_kernels(lab, wait=False)


# Close every open document without asking to save it (the tests' copies need no saving).
CLOSE_ALL = """() => { if (!window.jupyterapp) return;
  for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (w.context && w.context.model) w.context.model.dirty = false;
    w.dispose();
  } }"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
