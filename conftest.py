"""`make test` runs on every core (pytest-xdist, --dist loadgroup). A notebook's cells share one
kernel, so each notebook's nbval items are one group and run on one worker, in order. One worker
drives JupyterLab in Chromium (tests/browser/test_lab.py, the group "lab") and times explorer clicks
there; the others' work (nbval's kernels, unit tests, the site build) is batch work, run at the
lowest CPU priority (Linux's SCHED_IDLE; elsewhere niceness 19), so that the clicks are timed on a
machine that serves the learner's tab first."""
import os

import pytest

BATCH_NICENESS = 19


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(item.path.name))


def pytest_configure(config):
    # pytest 9.2 keeps node ids where pytest-xdist 3.8 cannot add the group: the cells of a notebook
    # would be spread over workers and fail with NameErrors.
    if config.getoption("dist", "no") == "loadgroup" and pytest.version_tuple[:2] >= (9, 2):
        raise pytest.UsageError("pytest-xdist's --dist loadgroup does not group tests under pytest 9.2: "
                                "use the pytest of requirements.lock (`make test` installs it).")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A worker lowers its priority, and its kernels' and subprocesses', when it starts batch work."""
    if not hasattr(item.config, "workerinput") or "@lab" in item.nodeid or "test_lab.py" in item.nodeid:
        return  # no xdist: nothing runs beside it; the lab worker keeps its priority
    try:  # Linux: runs only when no other process wants the core; its children inherit it
        if os.sched_getscheduler(0) != os.SCHED_IDLE:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # macOS has no SCHED_IDLE
        if os.getpriority(os.PRIO_PROCESS, 0) < BATCH_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, BATCH_NICENESS)
