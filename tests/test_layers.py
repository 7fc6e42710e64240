"""Every package and top-level module of lokdarpan_db has its place in the layers contract of
.importlinter (`make lint` runs it), so a new one cannot slip past the direction rules; devtools
sits beside the layers (the forbidden contract covers lokdarpan_db.*)."""

from __future__ import annotations

import configparser

from support import ROOT


def test_every_package_and_module_has_a_layer() -> None:
    config = configparser.ConfigParser(inline_comment_prefixes=(";",))
    config.read(ROOT / ".importlinter")
    layers = config["importlinter:contract:layers"]["layers"]
    named = {name.strip() for line in layers.splitlines() for name in line.replace("|", ":").split(":")}
    package = ROOT / "lokdarpan_db"
    present = {f"lokdarpan_db.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    present |= {f"lokdarpan_db.{p.parent.name}" for p in package.glob("*/__init__.py")}
    present -= {"lokdarpan_db.devtools"}
    missing = sorted(present - named)
    assert not missing, f".importlinter: give these a layer: {missing}"
    gone = sorted(n for n in named if n and n not in present)
    assert not gone, f".importlinter names modules that do not exist: {gone}"
