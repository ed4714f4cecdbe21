"""Build notebooks/NN_name.ipynb from notebooks/src/NN_name.py (jupytext percent format) and run it.

The .py files are the source (they diff and review well); the .ipynb files are what learners open,
committed with the outputs of one clean top-to-bottom run so static viewers show every graph.
Usage: python tools/build_notebooks.py [NAME_PREFIX ...]   (e.g. 03 to build only 03_no_grad)
"""
import html
import re
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from autogradviz.quiz import RUN_FIRST

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def slide_type(cell) -> str:
    """Slides for teaching: every heading starts a slide (no sub-slides: the arrow keys skip them); a
    cell that starts with an explorer gets a slide of its own, so its picture shows on screen, not
    below the code. A heading starts a markdown cell (test_notebooks_in_sync checks it)."""
    first = cell.source.lstrip().split("\n", 1)[0]
    if cell.cell_type == "code":
        return "slide" if re.match(r"(agv|trace)\.explore\(", first) else "-"
    return "slide" if re.match(r"#{1,3} ", first) else "-"


def execute(source: Path) -> nbformat.NotebookNode:
    """Read a notebook's source and run it top to bottom in a fresh kernel."""
    nb = jupytext.read(source)
    # RISE (JupyterLab's slide viewer) presents each notebook: scroll long slides. Its default theme
    # ("simple") fetches its fonts from Google; "white" carries its own: the slides work offline.
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"},
                   "rise": {"scroll": True, "autolaunch": False, "theme": "white"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: a rebuild changes only what really changed
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell)}
        if cell.cell_type == "code" and "agv.quiz(" in cell.source:
            cell.metadata["jupyter"] = {"source_hidden": True}  # its source holds the answer
    config = Config()
    config.KernelManager.transport = "ipc"  # the kernel talks over local sockets, not TCP
    with tempfile.TemporaryDirectory(prefix="agv-kernel-") as sockets:
        config.KernelManager.ip = f"{sockets}/ipc"  # an absolute path: the kernel runs in notebooks/
        NotebookClient(nb, config=config, timeout=600, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    quizzes_wait_for_a_run(nb)
    return nb


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def quizzes_wait_for_a_run(nb: nbformat.NotebookNode) -> None:
    """A viewer that draws widgets from the state saved in the notebook (nbviewer; JupyterLab with
    the widget manager's saveState on) shows each quiz with no kernel behind it: it would look
    clickable and do nothing. In that saved state its controls are disabled and it says to run
    first; a run draws a fresh, working quiz. (Elsewhere the quiz's HTML form says so.)"""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model in list(state.values()):
        if "agv-quiz" not in model["state"].get("_dom_classes", []):
            continue
        *_question, picker, button, feedback = (state[ref.removeprefix("IPY_MODEL_")]["state"]
                                                for ref in model["state"]["children"])
        for control in [button, picker] + [state[ref.removeprefix("IPY_MODEL_")]["state"]
                                           for ref in picker.get("children", [])]:
            if "disabled" in control:
                control["disabled"] = True
        feedback["value"] = f"<i>{html.escape(RUN_FIRST)}</i>"


def sources(prefixes: list[str]) -> list[Path]:
    """notebooks/src/*.py, or those whose names start with one of prefixes."""
    return [s for s in sorted((NOTEBOOKS / "src").glob("*.py"))
            if not prefixes or any(s.stem.startswith(p) for p in prefixes)]


def build(source: Path) -> Path:
    target = NOTEBOOKS / f"{source.stem}.ipynb"
    nbformat.write(execute(source), target)
    return target


def main(prefixes: list[str]) -> None:
    for source in sources(prefixes):
        start = time.perf_counter()
        target = build(source)
        print(f"{target.relative_to(NOTEBOOKS.parent)}  {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
