"""The built wheel: it ships the built-in packs and works once installed, from any directory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from neurotriage import Decision, default_rules, evaluate
from neurotriage.engines import durable_available
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "ready-to-start.json"
OPEN_WOUND = ROOT / "examples" / "open-wound.json"


def run(argv: list[str | os.PathLike[str]], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [os.fspath(a) for a in argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        **kwargs,
    )


def build(kind: str, outdir: Path) -> Path:
    """Build a ``--wheel`` or ``--sdist`` of the working tree (offline with hatchling here)."""
    command: list[str | os.PathLike[str]] = [sys.executable, "-m", "build", kind]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")
    done = run([*command, "--outdir", outdir, ROOT])
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = outdir.glob("neurotriage-*.whl" if kind == "--wheel" else "neurotriage-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the working tree."""
    return build("--wheel", tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed (not editable) into a directory of its own."""
    target = tmp_path_factory.mktemp("site")
    done = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            target,
            wheel,
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.fixture
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory unrelated to the repository."""
    return tmp_path_factory.mktemp("elsewhere")


def environment(installed: Path) -> dict[str, str]:
    """The process environment with only the installed copy of neurotriage importable first."""
    return {**os.environ, "PYTHONPATH": str(installed), "PYTHONNOUSERSITE": "1"}


def test_wheel_ships_every_default_rule_file(wheel):
    """The wheel holds each file of the repository's rules/ directory, byte for byte."""
    shipped = ROOT / "rules"
    expected = sorted(p.name for p in shipped.glob("*.yaml"))
    assert len(expected) == 7  # six rule files and pack.yaml
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        in_wheel = sorted(
            n.removeprefix("neurotriage/rules/")
            for n in names
            if n.startswith("neurotriage/rules/") and n.endswith(".yaml")
        )
        assert in_wheel == expected
        for name in expected:
            assert archive.read(f"neurotriage/rules/{name}") == (shipped / name).read_bytes()


def test_wheel_ships_every_file_of_the_clinical_pack(wheel):
    """The wheel holds packs/neuropathy-foot-care as neurotriage/packs/..., byte for byte."""
    shipped = ROOT / "packs" / "neuropathy-foot-care"
    expected = sorted(p.name for p in shipped.glob("*.yaml"))
    assert "pack.yaml" in expected
    assert len(expected) == 11  # the seed's six rule files, four of its own, pack.yaml
    prefix = "neurotriage/packs/neuropathy-foot-care/"
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = sorted(
            n.removeprefix(prefix) for n in archive.namelist() if n.startswith(prefix)
        )
        assert in_wheel == expected
        for name in expected:
            assert archive.read(prefix + name) == (shipped / name).read_bytes()


def test_wheel_ships_the_fhir_code_tables(wheel):
    """The wheel holds neurotriage/fhir/codes/*.csv, byte for byte (read by importlib.resources)."""
    shipped = ROOT / "src" / "neurotriage" / "fhir" / "codes"
    expected = sorted(p.name for p in shipped.glob("*.csv"))
    assert expected == ["conditions.csv", "observations.csv"]
    prefix = "neurotriage/fhir/codes/"
    with zipfile.ZipFile(wheel) as archive:
        assert sorted(
            n.removeprefix(prefix) for n in archive.namelist() if n.startswith(prefix)
        ) == (expected)
        for name in expected:
            assert archive.read(prefix + name) == (shipped / name).read_bytes()


def test_wheel_declares_the_server_extra(wheel):
    """neurotriage[server] brings FastAPI, uvicorn and the FHIR models; nothing else does."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
    assert "Provides-Extra: server" in metadata
    needs = [
        Requirement(line.removeprefix("Requires-Dist: "))
        for line in metadata.splitlines()
        if "extra == 'server'" in line
    ]
    assert sorted(canonicalize_name(need.name) for need in needs) == [
        "fastapi",
        "fhir-resources",
        "uvicorn",
    ]


def test_wheel_ships_py_typed_and_every_module(wheel):
    """The wheel holds the py.typed marker and every module of the package."""
    package = ROOT / "src" / "neurotriage"
    modules = {
        "neurotriage/" + p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "neurotriage/py.typed" in names
    assert modules <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


def test_wheel_declares_the_console_script(wheel):
    """The wheel's entry points install ``neurotriage`` running ``neurotriage.cli:run``."""
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    assert "[console_scripts]\nneurotriage = neurotriage.cli:run\n" in text


#: What evaluate() prints once where durable-rules cannot import (Python 3.13+).
FALLBACK_WARNING = (
    ""
    if durable_available() is None
    else (
        f"<string>:5: RuntimeWarning: neurotriage: durable-rules is not available "
        f"({durable_available()}); using the reference backend\n"
        "  'verdict': neurotriage.evaluate({'open_wounds': True}).verdict}))\n"
    )
)


def test_installed_package_imports_and_loads_rules_from_the_install(installed, elsewhere):
    """Installed, neurotriage imports from the install and reads the rules shipped inside it."""
    script = (
        "import json, neurotriage\n"
        "rules = neurotriage.default_rules()\n"
        "print(json.dumps({'module': neurotriage.__file__, 'version': rules.version,\n"
        "                  'files': sorted({r.file for r in rules.rules}),\n"
        "                  'verdict': neurotriage.evaluate({'open_wounds': True}).verdict}))\n"
    )
    done = run([sys.executable, "-c", script], cwd=elsewhere, env=environment(installed))
    assert done.returncode == 0, done.stderr
    assert done.stderr == FALLBACK_WARNING
    found = json.loads(done.stdout)
    root = installed.resolve()
    assert Path(found["module"]).resolve().is_relative_to(root / "neurotriage")
    assert found["files"]
    for file in found["files"]:
        assert Path(file).resolve().is_relative_to(root / "neurotriage" / "rules"), file
    assert {Path(f).name for f in found["files"]} <= {
        p.name for p in (ROOT / "rules").glob("*.yaml")
    }
    assert found["version"] == default_rules().version  # the same rules as the source tree
    assert found["verdict"] == "see_doctor"


def test_installed_package_loads_the_clinical_pack_from_the_install(installed, elsewhere):
    """Installed, default_rules('neuropathy-foot-care') reads the pack shipped in the package."""
    script = (
        "import json, neurotriage\n"
        "rules = neurotriage.default_rules('neuropathy-foot-care')\n"
        "decision = neurotriage.evaluate({'gangrene': True}, rules=rules, backend='reference')\n"
        "files = sorted({r.file for r in rules.rules})\n"
        "print(json.dumps({'version': rules.version, 'files': files,\n"
        "                  'referral': decision.referral.level}))\n"
    )
    done = run([sys.executable, "-c", script], cwd=elsewhere, env=environment(installed))
    assert (done.returncode, done.stderr) == (0, "")
    found = json.loads(done.stdout)
    pack = installed.resolve() / "neurotriage" / "packs" / "neuropathy-foot-care"
    assert found["files"]
    for file in found["files"]:
        assert Path(file).resolve().is_relative_to(pack), file
    assert found["version"] == default_rules("neuropathy-foot-care").version
    assert found["referral"] == "urgent"


def test_installed_command_takes_the_clinical_pack_by_name(installed, elsewhere):
    """Installed, ``neurotriage evaluate --pack neuropathy-foot-care`` uses the shipped pack."""
    profile = elsewhere / "clot.json"
    profile.write_text('{"dvt_signs": true}', encoding="utf-8")
    done = run(
        [
            sys.executable,
            "-m",
            "neurotriage",
            "evaluate",
            "--pack",
            "neuropathy-foot-care",
            "--backend",
            "reference",
            "clot.json",
        ],
        cwd=elsewhere,
        env=environment(installed),
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[1] == "Referral: urgent"


@pytest.mark.parametrize(
    ("example", "first_line"),
    [
        pytest.param(
            EXAMPLE,
            "Verdict: proceed (you may go ahead with the allowed techniques)",
            id="ready-to-start",
        ),
        pytest.param(
            OPEN_WOUND,
            "Verdict: see_doctor (see a doctor; no massage for now)",
            id="open-wound",
        ),
    ],
)
def test_installed_module_evaluates_an_example_from_anywhere(
    installed, elsewhere, example, first_line
):
    """``python -m neurotriage evaluate FILE`` works from an unrelated directory."""
    done = run(
        [sys.executable, "-m", "neurotriage", "evaluate", example],
        cwd=elsewhere,
        env=environment(installed),
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == first_line


def test_installed_console_script_prints_the_same_decision(installed, elsewhere):
    """The installed ``neurotriage`` script prints the Decision evaluate() makes here."""
    done = run(
        [installed / "bin" / "neurotriage", "evaluate", "--json", OPEN_WOUND],
        cwd=elsewhere,
        env=environment(installed),
    )
    assert (done.returncode, done.stderr) == (0, "")
    expected = evaluate(json.loads(OPEN_WOUND.read_text(encoding="utf-8")))
    assert Decision.model_validate_json(done.stdout) == expected


def test_installed_command_rejects_bad_input_without_traceback(installed, elsewhere):
    """Installed, a bad profile still gives exit 2 and one error line."""
    profile = elsewhere / "bad.json"
    profile.write_text('{"pain_level": 11}', encoding="utf-8")
    done = run(
        [sys.executable, "-m", "neurotriage", "evaluate", "bad.json"],
        cwd=elsewhere,
        env=environment(installed),
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "neurotriage: error: bad.json is not a valid profile: field 'pain_level':"
        " Input should be less than or equal to 10 (got 11)\n"
    )


def test_wheel_ships_the_license(wheel):
    """The wheel declares MIT and carries the LICENSE file in its metadata."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode("utf-8")
    assert "License-Expression: MIT" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_sdist_ships_license_makefile_and_constraints(tmp_path):
    """The sdist holds LICENSE, and the Makefile and constraints its README's quickstart uses."""
    with tarfile.open(build("--sdist", tmp_path)) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "Makefile", "constraints.txt", "README.md", "pyproject.toml"} <= names
    assert "rules/red-flags.yaml" in names
    assert {
        "packs/neuropathy-foot-care/pack.yaml",
        "packs/neuropathy-foot-care/urgent.yaml",
    } <= names
