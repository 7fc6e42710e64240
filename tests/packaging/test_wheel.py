"""An installable package (issue 22 part 2): the sdist carries the source tree, the wheel built from
it carries the plan, every db/ script and the shipped data, and the wheel installed in a clean venv
deploys the packaged plan from a directory with no source tree, with or without the extras.

The venv is clean of the source tree: it has only the wheel (pip --no-deps); the dependencies come
from the project venv's site-packages through a .pth line (its editable install of lokdarpan_db is
not: .pth files of a directory added that way are not read). A sitecustomize in the venv hides
cryptography, boto3 and botocore, as an install without the `backup` and `keys` extras has them.
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import ROOT, cli_env

from lokdarpan_db.version import version_of

EXTRAS_HIDDEN = '''\
import importlib.abc, sys
HIDDEN = {"cryptography", "boto3", "botocore", "zstandard"}
class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Hide())
'''
SKIP_DIRS = {".git", ".venv", ".lokdarpan", "build", "dist", ".pytest_cache", ".ruff_cache", "__pycache__"}


@dataclass(frozen=True)
class Built:
    source_files: list[str]  # the tree the sdist was built from, relative paths
    sdist: Path
    wheel: Path


def _source_files() -> list[str]:
    """The project's files: git's tracked and untracked-but-not-ignored files, or a walk without git."""
    if shutil.which("git") and (ROOT / ".git").exists():
        res = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                             capture_output=True, check=True)
        names = [n for n in res.stdout.decode().split("\0") if n]
    else:  # pragma: no cover - CI runs in a clone
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)]
    return sorted(n for n in names if (ROOT / n).is_file() and not n.endswith((".pyc", ".pyo")))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """sdist, then the wheel built from the sdist (python -m build), of a copy of the tree."""
    base = tmp_path_factory.mktemp("build")
    src = base / "src"
    files = _source_files()
    for name in files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    res = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(base / "dist"),
                          str(src)], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (sdist,) = (base / "dist").glob("*.tar.gz")
    (wheel,) = (base / "dist").glob("*.whl")
    return Built(files, sdist, wheel)


def test_the_version_is_the_plans(built: Built) -> None:
    version = version_of(ROOT / "db" / "sqitch.plan")
    assert built.wheel.name.startswith(f"lokdarpan_db-{version}-"), (built.wheel.name, version)


def test_the_sdist_carries_every_file_of_the_tree(built: Built) -> None:
    with tarfile.open(built.sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile() and "/" in m.name}
    missing = [f for f in built.source_files if f not in members]
    assert not missing, f"not in the sdist (MANIFEST.in): {missing[:20]}"


def test_the_wheel_carries_the_plan_the_scripts_and_the_data(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as whl:
        names = set(whl.namelist())
    shipped = [f for f in built.source_files if f.startswith(("db/", "data/")) or f == "sqitch.conf"]
    assert "db/sqitch.plan" in shipped and any(f.startswith("db/deploy/") for f in shipped)
    assert any(f.startswith("data/") for f in shipped)
    missing = [f for f in shipped if f"lokdarpan_db/_project/{f}" not in names]
    assert not missing, f"not in the wheel: {missing[:20]}"
    assert not [n for n in names if n.startswith(("tests/", "db/", "data/"))], "stray top-level files"


@pytest.fixture(scope="module")
def venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with only the wheel; deps from the project venv; the extras' modules hidden."""
    where = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    py = where / "bin" / "python"
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet",
                          "--no-deps", "--no-index", str(built.wheel)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    own = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip())
    (own / "project_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (own / "sitecustomize.py").write_text(EXTRAS_HIDDEN)
    return where


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = cli_env({"PYTHONPATH": "", "LOKDARPAN_DEBUG": ""})
    env.pop("PYTHONPATH")
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([str(venv / "bin" / "lokdarpan-db"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_installed_wheel_deploys_its_own_plan_from_anywhere(
        venv: Path, empty_db: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not any((d / "db" / "sqitch.plan").exists() for d in (elsewhere, *elsewhere.parents))
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import lokdarpan_db.paths as p; print(p.PACKAGED, p.PLAN)"],
        cwd=elsewhere, capture_output=True, text=True, check=True).stdout.split()
    assert where[0] == "True" and where[1].startswith(str(venv)), where

    res = _run(venv, elsewhere, "--db", empty_db, "deploy")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    first = res.stdout.splitlines()[0]
    assert first.startswith(f"plan: {venv}") and "packaged with lokdarpan-db" in first, res.stdout
    assert "deployed" in res.stdout and "Traceback" not in res.stderr, res.stderr
    res = _run(venv, elsewhere, "--db", empty_db, "verify")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    res = _run(venv, elsewhere, "--db", empty_db, "plan")
    assert res.returncode == 0 and "nothing to deploy" in res.stdout, res.stderr
    assert not (elsewhere / "db").exists()


@pytest.mark.parametrize(("argv", "extra"), [
    (["backup", "create"], "backup"),
    (["backup", "--dest", "/nowhere", "list"], "backup"),
    (["pitr", "setup"], "backup"),
    (["keys", "check"], "keys"),
    (["backup", "--help"], "backup"),
])
def test_a_verb_without_its_extra_says_which_in_one_line(
        venv: Path, tmp_path: Path, argv: list[str], extra: str) -> None:
    res = _run(venv, tmp_path, "--db", "postgresql://nobody@127.0.0.1:1/none", *argv)
    assert res.returncode == 3, res.stderr
    assert res.stderr.strip() == (
        f"error: {argv[0]} needs the '{extra}' extra: pip install 'lokdarpan-db[{extra}]' "
        "(cryptography is not installed)"), res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_no_verb_fails_to_load_without_the_extras(venv: Path, tmp_path: Path) -> None:
    for args in (["--help"], ["--version"], ["deploy", "--help"], ["import", "--help"]):
        res = _run(venv, tmp_path, *args)
        assert res.returncode == 0 and "Traceback" not in res.stderr, (args, res.stderr)


def test_with_json_the_missing_extra_is_one_json_object(venv: Path, tmp_path: Path) -> None:
    res = _run(venv, tmp_path, "--json", "keys", "rotate")
    assert res.returncode == 3 and res.stdout == ""
    assert json.loads(res.stderr) == {
        "code": "missing_extra", "exit": 3,
        "message": "keys needs the 'keys' extra: pip install 'lokdarpan-db[keys]' "
                   "(cryptography is not installed)"}
