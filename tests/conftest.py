import statistics
from collections import defaultdict

import pytest
import torch
import torch.nn as nn

import autogradviz as agv


@pytest.fixture
def seed_layers():
    """The lin0/lin1/lin2 experiment of seed 000, with lin1 under no_grad, recorded by watch()."""
    torch.manual_seed(0)
    x = torch.randn(2, 2, requires_grad=True)
    lin0, lin1, lin2 = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)
    with agv.watch():
        x1 = lin0(x)
        with torch.no_grad():
            x2 = lin1(x1)
        x3 = lin2(x2)
    return x3, {"lin0": lin0, "lin1": lin1, "lin2": lin2}


REDRAWS: dict[str, list[float]] = defaultdict(list)  # explorer redraw times the browser tests report


def pytest_runtest_logreport(report):
    for key, value in report.user_properties if report.when == "call" else ():
        if key == "redraw_seconds":
            notebook, times = value
            REDRAWS[notebook].extend(times)


def pytest_terminal_summary(terminalreporter):
    if not REDRAWS:
        return
    terminalreporter.section("explorer redraw: click to redrawn graph")
    terminalreporter.write_line(f"{'notebook':32} {'clicks':>6} {'median':>8} {'max':>8}")
    for notebook, times in sorted((n, t) for n, t in REDRAWS.items() if t):  # 01 and 09 have no explorer
        terminalreporter.write_line(f"{notebook:32} {len(times):6d} {statistics.median(times):7.3f}s {max(times):7.3f}s")
