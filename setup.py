"""Build hooks pyproject.toml cannot express (issue 22 part 2):

- the version comes from the plan's latest tag (lokdarpan_db/version.py, loaded by path);
- a built wheel carries the plan, every db/ script and the shipped data: build_py copies db/,
  data/ and sqitch.conf into lokdarpan_db/_project/, where lokdarpan_db.paths finds them.
  Editable installs skip the copy: they read the source tree itself.
The sdist carries the whole source tree (MANIFEST.in), so a wheel built from it is the same.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("db", "data", "sqitch.conf")
IGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


def plan_version() -> str:
    spec = importlib.util.spec_from_file_location("_lokdarpan_version", ROOT / "lokdarpan_db" / "version.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.version_of(ROOT / "db" / "sqitch.plan")


class BuildPyWithProject(build_py):
    """build_py, then the project's plan, scripts and data into lokdarpan_db/_project/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "lokdarpan_db" / "_project"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in SHIPPED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=IGNORED)
            else:
                shutil.copy2(source, target / name)


setup(version=plan_version(), cmdclass={"build_py": BuildPyWithProject})
