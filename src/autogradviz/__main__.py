"""`python -m autogradviz doctor`: is everything here that the notebooks need? Says how to fix what is not.

The library needs torch, torchviz, Graphviz's `dot` and ipywidgets. The explorers also need the
widget extension of the JupyterLab that shows them, which may live in another environment than
this kernel's: the doctor looks where that JupyterLab runs from. JupyterLab itself is optional
(VS Code, or plain Python scripts, work without it).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

INSTALL = "`pip install -e \".[notebooks]\"` from the repository, or `make lab`, which installs the pinned packages into .venv"
WIDGETS = "labextensions/@jupyter-widgets/jupyterlab-manager"  # under a Jupyter data dir


def check_module(name: str, fix: str) -> tuple[str, str]:
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        return "MISSING", f"{name} cannot be imported ({e}). Fix: {fix}"
    return "ok", f"{name} {getattr(module, '__version__', '')}".strip()


def check_dot() -> tuple[str, str]:
    path = shutil.which("dot")
    if path is None:
        return "MISSING", ("Graphviz `dot` is not on PATH. Fix: `sudo apt-get install graphviz` (Debian/Ubuntu), "
                           "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`.")
    version = subprocess.run([path, "-V"], capture_output=True, text=True).stderr.strip()
    return "ok", f"dot: {version} ({path})"


def server_prefix() -> Path | None:
    """The environment of the Jupyter server that started this kernel, if one did."""
    pid = os.environ.get("JPY_PARENT_PID")
    if not pid:
        return None
    try:
        import psutil
        server = psutil.Process(int(pid))
        cmdline, cwd = server.cmdline(), server.cwd()
    except Exception:  # no psutil, or the process is gone or not ours: we cannot tell
        return None
    for arg in cmdline[:2]:  # e.g. /env/bin/python /env/bin/jupyter-lab
        path = Path(cwd, arg)
        if path.parent.name in ("bin", "Scripts") and path.exists():
            return path.parent.parent
    return None


def widget_extension_in(prefix: Path) -> bool:
    from jupyter_core.paths import ENV_JUPYTER_PATH, SYSTEM_JUPYTER_PATH, jupyter_data_dir

    roots = [prefix / "share/jupyter", Path(jupyter_data_dir()), *map(Path, SYSTEM_JUPYTER_PATH)]
    if prefix == Path(sys.prefix):
        roots += map(Path, ENV_JUPYTER_PATH)
    return any((root / WIDGETS).is_dir() for root in roots)


def check_widget_extension() -> tuple[str, str]:
    if any(k.startswith("VSCODE_") for k in os.environ):
        return "note", "VS Code shows the widgets with its own Jupyter extension: nothing to install here."
    prefix = server_prefix()
    if prefix is None:  # not in a kernel started by a Jupyter server: check this environment's JupyterLab
        if importlib.util.find_spec("jupyterlab") is None:
            return "note", ("JupyterLab is not installed here; the library works without it. For the notebooks: "
                            + INSTALL + ".")
        prefix = Path(sys.prefix)
    where = "" if prefix == Path(sys.prefix) else f" of the JupyterLab that runs this kernel ({prefix})"
    try:
        found = widget_extension_in(prefix)
    except ImportError:
        return "note", "jupyter_core is not installed here, so the JupyterLab widget extension was not checked."
    if found:
        return "ok", f"JupyterLab widget extension (jupyterlab_widgets) installed{where}"
    return "MISSING", (f"The JupyterLab widget extension is missing{where}: explorers will show only their "
                       "first picture. Fix: `pip install jupyterlab_widgets` in the environment JupyterLab runs "
                       f"from ({prefix}), then restart JupyterLab.")


def doctor() -> int:
    """Print what is there and what is missing; return the number of things to fix."""
    checks = [
        check_module("torch", INSTALL),
        check_module("torchviz", INSTALL + " (on Python 3.12 and later torchviz also needs setuptools, "
                                           "which provides the distutils it imports)"),
        check_dot(),
        check_module("ipywidgets", INSTALL),
        check_widget_extension(),
    ]
    for status, message in checks:
        print(f"{status:9}{message}")
    missing = sum(status == "MISSING" for status, _ in checks)
    print("All set." if not missing else f"{missing} thing(s) to fix, see above.")
    return missing


def main(argv: list[str]) -> int:
    if argv[:1] == ["doctor"]:
        return 1 if doctor() else 0
    print("usage: python -m autogradviz doctor   (checks torch, Graphviz, ipywidgets, JupyterLab widgets)")
    return 2


def main_cli() -> int:
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
