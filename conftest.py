"""`make test` runs on every core (pytest-xdist, --dist loadgroup). A notebook's cells share one
kernel, so each notebook's nbval items are one group and run on one worker, in order."""
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(item.path.name))
