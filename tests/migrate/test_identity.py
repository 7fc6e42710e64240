"""Who deployed: Sqitch's rules for the committer's name and email, and its configuration dialect
read as `sqitch config` reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support import cli_env

from lokdarpan_db.migrate import identity

CONFIGS = [
    "[user]\n\tname = Foo Bar  # comment\n",
    '[user]\n\tname = "Foo \\"Q\\"   Bar" ; c\n',
    "[user]\nname=Foo\\tBar\n",
    "[User]\n\tNAME = Mixed Case\n",
    "[user]\n\tname = a \\\n  b\n",
    "[user]\n\tname = Trailing   \n",
    "# c\n; d\n[user] name = Same Line\n",
    '[core]\n\tengine = pg\n[engine "pg"]\n\tregistry = sqitch\n[user]\n\tname = "  Priya  Reddy "\n',
    "[user]\n\temail = x@y\n",
]


@pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")
@pytest.mark.parametrize("text", CONFIGS, ids=[f"config{i}" for i in range(len(CONFIGS))])
def test_config_values_read_as_sqitch_config_reads_them(tmp_path: Path, text: str):
    conf = tmp_path / "sqitch.conf"
    conf.write_text(text)
    res = subprocess.run(["sqitch", "config", "--get", "user.name"], cwd=tmp_path,
                         env={**cli_env(), "SQITCH_CONFIG": str(conf)},
                         capture_output=True, text=True, check=False)
    theirs = res.stdout[:-1] if res.returncode == 0 else None  # strip the newline sqitch adds
    assert identity.parse_config(text).get("user.name") == theirs


def test_precedence_is_sqitch_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for var in ("SQITCH_FULLNAME", "SQITCH_EMAIL", "SQITCH_ORIG_FULLNAME", "SQITCH_ORIG_EMAIL",
                "SQITCH_ORIG_SYSUSER", "SQITCH_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    system, user, local = (tmp_path / n for n in ("system.conf", "user.conf", "sqitch.conf"))
    monkeypatch.setenv("SQITCH_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("SQITCH_USER_CONFIG", str(user))
    monkeypatch.setenv("SQITCH_ORIG_SYSUSER", "nobody-here")
    assert identity.sqitch_identity(tmp_path)[0] == "nobody-here"  # no passwd entry: the login
    monkeypatch.setenv("SQITCH_ORIG_FULLNAME", "Orig Name")
    monkeypatch.setenv("SQITCH_ORIG_EMAIL", "orig@example.in")
    assert identity.sqitch_identity(tmp_path) == ("Orig Name", "orig@example.in")
    system.write_text("[user]\n\tname = System\n\temail = system@example.in\n")
    assert identity.sqitch_identity(tmp_path) == ("System", "system@example.in")
    user.write_text("[user]\n\tname = User\n")
    assert identity.sqitch_identity(tmp_path) == ("User", "system@example.in")
    local.write_text("[user]\n\temail = local@example.in\n")
    assert identity.sqitch_identity(tmp_path) == ("User", "local@example.in")
    monkeypatch.setenv("SQITCH_FULLNAME", "Env Name")
    monkeypatch.setenv("SQITCH_EMAIL", "env@example.in")
    assert identity.sqitch_identity(tmp_path) == ("Env Name", "env@example.in")
