"""Every notebook is built from notebooks/src/NAME.py by `make notebooks`; they must not drift apart."""
import json
import re
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


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_notebook_has_an_exercise_with_feedback_and_slides(source):
    cells = json.loads((NOTEBOOKS / f"{source.stem}.ipynb").read_text())["cells"]
    quizzes = [c for c in cells if c["cell_type"] == "code" and "agv.quiz(" in "".join(c["source"])]
    assert quizzes, "every notebook ends with an exercise that checks the answer (agv.quiz)"
    assert all(c["metadata"].get("jupyter", {}).get("source_hidden") for c in quizzes), \
        "a quiz cell's source holds its answer: hidden (make notebooks does it)"
    silent = [c["id"] for c in quizzes if not any("Exercise" in "".join(o.get("data", {}).get("text/plain", ""))
                                                  for o in c.get("outputs", []))]
    assert not silent, f"quiz cells that show no quiz (agv.quiz(...) must be the cell's last expression): {silent}"
    assert sum(c["metadata"].get("slideshow", {}).get("slide_type") == "slide" for c in cells) >= 3


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_heading_starts_a_slide(source):
    """The README promises it: a heading inside a markdown cell would sit mid-slide, below the fold."""
    cells = json.loads((NOTEBOOKS / f"{source.stem}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"```.*?```", "", "".join(cell["source"]), flags=re.S)  # not a comment in a code block
        assert not re.search(r"\n#{1,3} ", text), f"a heading mid-cell: start a new markdown cell there: {text[:80]!r}"
        if re.match(r"#{1,3} ", text):
            assert cell["metadata"]["slideshow"]["slide_type"] == "slide", text[:80]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_quiz_answers_stay_hidden_until_tried(source):
    """The checks of a quiz's answer sit in its hidden cell, not in a cell a learner reads; before a
    run, the quiz drawn from the saved widget state says to run first (its controls are disabled)."""
    nb = json.loads((NOTEBOOKS / f"{source.stem}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    answers = {m for c in code for m in re.findall(r"\banswer=(?:str\()?(\w+)", "".join(c["source"]))}
    visible = [c for c in code if not c["metadata"].get("jupyter", {}).get("source_hidden")]
    told = [line for c in visible for line in "".join(c["source"]).splitlines()
            if "assert" in line and any(re.search(rf"\b{a}\s*==", line) for a in answers)]
    assert not told, f"a visible cell gives a quiz's answer away: {told}"
    shown = [src.splitlines()[0] for c in code if "agv.quiz(" in (src := "".join(c["source"]))]
    assert all(line.startswith("# ") for line in shown), f"JupyterLab shows a hidden cell's first line: {shown}"
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    quizzes = [m["state"] for m in state.values() if "agv-quiz" in m["state"].get("_dom_classes", [])]
    assert quizzes
    for quiz in quizzes:
        feedback = state[quiz["children"][-1].removeprefix("IPY_MODEL_")]["state"]["value"]
        assert "Run the notebook" in feedback
