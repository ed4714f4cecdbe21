"""`make test` runs on every core (pytest-xdist, --dist loadgroup). A notebook's cells share one
kernel, so each notebook's nbval items are one group and run on one worker, in order."""
import pytest


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
