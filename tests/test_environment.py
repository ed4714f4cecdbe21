"""environment.yml (conda) and pyproject.toml (pip) must name the same packages."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PIP = {"pytorch-cpu": "torch", "python-graphviz": "graphviz"}
CONDA_ONLY = {"python", "pip", "graphviz"}  # graphviz on conda-forge is the `dot` program itself


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_parses_and_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {name_of(d) for d in dep["pip"]}
        elif name_of(dep) not in CONDA_ONLY:
            conda.add(CONDA_TO_PIP.get(name_of(dep), name_of(dep)))
    assert "graphviz" in {name_of(d) for d in env["dependencies"] if isinstance(d, str)}, "the dot binary"
    assert pip == {"torchviz", "jupyterlab-rise", "playwright"}, "pip section only (conda-forge lacks them, or has another tool of that name)"

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {name_of(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {name_of(r) for r in extra}
    assert conda | pip == wanted


def test_lock_pins_everything_pyproject_names():
    pinned = {name_of(line): line for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [name_of(r) for r in project["dependencies"]]
    names += [name_of(r) for extra in project["optional-dependencies"].values() for r in extra]
    missing = [n for n in names if n not in pinned]
    assert not missing, f"add to requirements.lock: {missing}"
    assert pinned["torch"] == "torch==2.13.0", "the CPU wheel; a bare torch pulls CUDA packages"


def test_every_locked_package_admits_python_3_11_0_to_3_14():
    """One lock for every supported Python: Debian 12's python3 is 3.11.2, Homebrew's 3.14."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    supported = SpecifierSet(project["requires-python"])
    assert all(v in supported for v in ["3.11.0", "3.12.0", "3.13.0", "3.14.0"]) and "3.10.13" not in supported
    narrow = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" not in line:
            continue
        try:
            needs = distribution(name_of(line)).metadata.get("Requires-Python")
        except PackageNotFoundError:  # not installed under this Python (a marker excluded it)
            continue
        if needs and not all(v in SpecifierSet(needs) for v in ["3.11.0", "3.14.0"]):
            narrow[line] = needs
    assert not narrow, f"these locked versions do not install on every supported Python: {narrow}"
