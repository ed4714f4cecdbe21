import shutil
import subprocess
import sys

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


def test_usage():
    assert cli.main([]) == 2
