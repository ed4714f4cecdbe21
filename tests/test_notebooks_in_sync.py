"""Every notebook is built from notebooks/src/NAME.py by `make notebooks`; they must not drift apart."""
import json
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("*.py"))


def test_every_notebook_has_a_source():
    built = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert built == {p.stem for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    expected = jupytext.read(source)
    committed = json.loads((NOTEBOOKS / f"{source.stem}.ipynb").read_text())
    want = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in expected.cells]
    have = [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags", [])) for c in committed["cells"]]
    assert have == want, f"notebooks/{source.stem}.ipynb is stale: run `make notebooks`"
    counts = [c["execution_count"] for c in committed["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), "outputs must come from one clean run"
