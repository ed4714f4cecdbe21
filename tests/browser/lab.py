"""Start a real JupyterLab for the browser tests: 127.0.0.1, a free port, token auth on, a
temporary copy of the notebooks (autosave writes back), temporary settings. As `make lab` does, it
opens at the Makefile's default URL, and relies on the settings .venv carries (overrides.json, made
by scripts/ensure-venv) to keep the "Jupyter news?" prompt away."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = re.compile(r"--LabApp\.default_url=\S+")


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen
    stopping: list = field(default_factory=list)  # (notebook paths, thread) of sessions stopping in the background

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"

    def printed_url(self) -> str:
        """The URL the server printed for the user to open (it masks a token it was given)."""
        return re.search(r"http://127\.0\.0\.1:\d+/\S*\?token=", self.log.read_text()).group(0) + self.token

    def get(self, path: str, token: bool = True) -> int:
        """HTTP status of a GET, with or without the token."""
        sep = "&" if "?" in path else "?"
        request = urllib.request.Request(self.url + path + (f"{sep}token={self.token}" if token else ""))
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as e:
            return e.code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The copies keep their saved outputs where a test looks at them before running anything: 00 (what
# `make lab` opens) and 12 (its slides). The others' outputs are cleared, as Run All redraws them:
# rendering the saved ones first cost Chromium ~3 s of CPU per notebook.
SAVED_OUTPUTS_SHOWN = {"00_start_here.ipynb", "12_why_no_grad.ipynb"}


def clear_outputs(path: Path) -> None:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    path.write_text(json.dumps(nb))


def start_lab(workdir: Path) -> Lab:
    root = workdir / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("src", ".ipynb_checkpoints"))
    for path in root.glob("*.ipynb"):
        if path.name not in SAVED_OUTPUTS_SHOWN:
            clear_outputs(path)
    # Render every cell, not only those in view, so the tests can find every output.
    tracker = workdir / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token, port = secrets.token_hex(16), free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / "config"), JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
               IPYTHONDIR=str(workdir / "ipython"), JUPYTER_DATA_DIR=str(workdir / "data"),
               JUPYTER_PLATFORM_DIRS="1")
    log = workdir / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", "--expose-app-in-browser",
               f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={workdir / 'settings'}",
               f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--KernelManager.transport=ipc",
               DEFAULT_URL.search((ROOT / "Makefile").read_text()).group(0)]
    if os.geteuid() == 0:
        command.append("--allow-root")
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=root)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            if lab.get("/api/status") == 200:
                return lab
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.25)
    stop_lab(lab)
    raise RuntimeError(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


def shutdown_kernels(lab: Lab, wait: bool = True) -> None:
    """Stop every notebook's session and kernel (one notebook's kernel should not slow the next test).

    A kernel that ran a notebook takes ~2.5 s to exit (Python tears down torch): with wait=False the
    sessions are listed now and stopped in the background, while the next test opens its notebook
    (open_notebook first waits for a stop of the same notebook: its new tab would join the old kernel)."""
    with urllib.request.urlopen(f"{lab.url}/api/sessions?token={lab.token}", timeout=10) as response:
        sessions = json.load(response)

    def stop() -> None:
        for session in sessions:
            request = urllib.request.Request(f"{lab.url}/api/sessions/{session['id']}?token={lab.token}",
                                             method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()

    stopping = threading.Thread(target=stop, daemon=True)
    stopping.start()
    lab.stopping.append(({session["path"] for session in sessions}, stopping))
    if wait:
        finish_stopping(lab)


def finish_stopping(lab: Lab, path: str | None = None) -> None:
    """Wait until the sessions stopping in the background are gone: those of path, or all."""
    for paths, thread in list(lab.stopping):
        if path is None or path in paths:
            thread.join()
    lab.stopping[:] = [(paths, thread) for paths, thread in lab.stopping if thread.is_alive()]


def stop_lab(lab: Lab) -> None:
    lab.process.terminate()
    try:
        lab.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        lab.process.kill()
