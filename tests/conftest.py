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


REDRAWS: dict[str, list[tuple[float, float]]] = defaultdict(list)  # explorer redraws the browser tests report


def pytest_runtest_logreport(report):
    for key, value in report.user_properties if report.when == "call" else ():
        if key == "redraw_seconds":
            notebook, times = value
            REDRAWS[notebook].extend(times)


def pytest_terminal_summary(terminalreporter):
    clicked = sorted((notebook, times) for notebook, times in REDRAWS.items() if times)  # 01, 09: no explorer
    if not clicked:
        return
    terminalreporter.section("explorer redraw: the learner's click to the redrawn graph, in the page")
    terminalreporter.write_line(f"{'notebook':40} {'clicks':>6} {'median':>8} {'max':>8}   median with the driver")
    for notebook, times in clicked:
        in_page, driven = [t[0] for t in times], [t[1] for t in times]
        terminalreporter.write_line(f"{notebook:40} {len(times):6d} {statistics.median(in_page):7.3f}s "
                                    f"{max(in_page):7.3f}s   {statistics.median(driven):.3f}s")
