import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autogradviz import __main__ as cli


def test_doctor_all_ok_here():
    result = subprocess.run([sys.executable, "-m", "autogradviz", "doctor"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for word in ["torch", "dot", "ipywidgets", "JupyterLab widget extension"]:
        assert word in result.stdout
    assert "All set." in result.stdout


def test_doctor_says_how_to_fix_missing_dot(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.doctor() == 1
    out = capsys.readouterr().out
    assert "MISSING  Graphviz `dot`" in out and "apt-get install graphviz" in out


def test_without_jupyterlab_the_library_is_all_set(monkeypatch, capsys):
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    assert cli.doctor() == 0
    out = capsys.readouterr().out
    assert "JupyterLab is not installed here; the library works without it" in out and "All set." in out


def test_looks_where_the_jupyterlab_running_this_kernel_lives(monkeypatch, capsys, tmp_path):
    other = tmp_path / "other-env"  # a JupyterLab in another environment, without the widget extension
    monkeypatch.setattr(cli, "server_prefix", lambda: other)
    assert cli.doctor() == 1
    out = capsys.readouterr().out
    assert f"missing of the JupyterLab that runs this kernel ({other})" in out
    assert "pip install jupyterlab_widgets` in the environment JupyterLab runs from" in out


def test_server_prefix_reads_the_parent_process(monkeypatch):
    monkeypatch.setenv("JPY_PARENT_PID", str(os.getpid()))  # our own process: pytest in this venv
    assert cli.server_prefix() == Path(sys.executable).parent.parent


def test_vs_code_needs_no_jupyterlab_extension(monkeypatch, capsys):
    monkeypatch.setenv("VSCODE_PID", "1234")
    assert cli.doctor() == 0
    assert "VS Code shows the widgets with its own Jupyter extension" in capsys.readouterr().out


def test_usage():
    assert cli.main([]) == 2
