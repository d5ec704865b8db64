"""CI installed whatever was newest, and a venv built by one interpreter served another.

Every package of the development install is now pinned in constraints.txt,
which the Makefile installs with; the library's own ranges stay open. Each
interpreter gets its own environment, so ``make test PYTHON=python3.13``
really runs on 3.13.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)$")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        pins[_canonical(match["name"])] = match["version"]
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dev_requirement_is_pinned_exactly():
    """Each direct dependency of the dev install has an exact version in constraints.txt."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = _pins()
    for text in wanted:
        requirement = Requirement(text)
        assert _canonical(requirement.name) in pins, f"{requirement.name} is not pinned"
        assert requirement.specifier.contains(pins[_canonical(requirement.name)], prereleases=True)


def test_the_library_ranges_stay_open():
    """pyproject.toml's own dependencies are ranges, never exact pins."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"]:
        assert "==" not in text, text


def test_this_environment_was_installed_from_the_pins():
    """What is installed here is exactly what constraints.txt says (where it is installed)."""
    for name, version in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # e.g. durable-rules on Python 3.13, by its marker
        assert installed == version, f"{name} {installed} installed, {version} pinned"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_each_interpreter_gets_its_own_environment():
    """PYTHON=... builds .venv-X.Y with the constraints; the default python3 builds .venv."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    planned = subprocess.run(
        ["make", "-n", "-B", "demo", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"-m venv --clear .venv-{version}\n" in planned
    assert "-c constraints.txt -e '.[dev]'" in planned
    assert f".venv-{version}/bin/neurotriage evaluate examples/" in planned
