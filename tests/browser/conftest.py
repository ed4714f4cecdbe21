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

from .lab import ROOT, shutdown_kernels, start_lab, stop_lab

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


@pytest.fixture
def page(browser, lab, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name.replace('/', '_')}.png"
        tab.screenshot(path=str(shot), full_page=True)
        shutil.copy(lab.log, ARTIFACTS / "jupyterlab.log")
        print(f"\nscreenshot: {shot}\nserver log: {ARTIFACTS / 'jupyterlab.log'}")
    context.close()
    shutdown_kernels(lab)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
