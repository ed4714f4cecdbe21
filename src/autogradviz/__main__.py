"""`python -m autogradviz doctor`: is everything here that the notebooks need? Says how to fix what is not."""
from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

INSTALL = "run `make lab` (or `make setup`) from the repository, which installs the pinned packages into .venv"


def check_module(name: str, fix: str) -> tuple[bool, str]:
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        return False, f"{name} cannot be imported ({e}). Fix: {fix}"
    return True, f"{name} {getattr(module, '__version__', '')}".strip()


def check_dot() -> tuple[bool, str]:
    path = shutil.which("dot")
    if path is None:
        return False, ("Graphviz `dot` is not on PATH. Fix: `sudo apt-get install graphviz` (Debian/Ubuntu), "
                       "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`.")
    version = subprocess.run([path, "-V"], capture_output=True, text=True).stderr.strip()
    return True, f"dot: {version} ({path})"


def check_widget_extension() -> tuple[bool, str]:
    for root in [Path(sys.prefix), Path(sys.prefix) / "local"]:
        if (root / "share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager").is_dir():
            return True, "JupyterLab widget extension (jupyterlab_widgets) installed"
    return False, ("The JupyterLab widget extension is missing: explorers will show only their first picture. "
                   "Fix: `pip install jupyterlab_widgets` in this environment, then restart JupyterLab.")


def doctor() -> int:
    checks = [
        check_module("torch", INSTALL + " (pip: `pip install torch==2.13.0`)"),
        check_module("torchviz", INSTALL),
        check_dot(),
        check_module("ipywidgets", INSTALL),
        check_widget_extension(),
    ]
    for ok, message in checks:
        print(("ok       " if ok else "MISSING  ") + message)
    missing = sum(not ok for ok, _ in checks)
    print("All set." if not missing else f"{missing} thing(s) to fix, see above.")
    return 1 if missing else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["doctor"]:
        return doctor()
    print("usage: python -m autogradviz doctor   (checks torch, Graphviz, ipywidgets, JupyterLab widgets)")
    return 2


def main_cli() -> int:
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
