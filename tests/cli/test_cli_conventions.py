"""CLI conventions every verb shares: the global options after the verb, --version, and shell
completion (Click's, documented in the README)."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from test_cli_docs import ALL

from lokdarpan_db import __version__
from lokdarpan_db.cli import cli, run

GLOBAL = {"--db", "--json", "--plan", "--lock-timeout"}


@pytest.mark.parametrize("path", [p for p, c in ALL if not isinstance(c, click.Group)], ids=" ".join)
def test_every_verb_takes_the_global_options_after_it(path: tuple[str, ...]):
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    given = {opt for p in cmd.params for opt in p.opts}
    assert given >= GLOBAL, f"lokdarpan-db {' '.join(path)} lacks {sorted(GLOBAL - given)} after the verb"


def test_version(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lokdarpan-db, version {__version__}"


def test_bash_and_zsh_completion_scripts_are_generated():
    exe = os.path.join(os.path.dirname(sys.executable), "lokdarpan-db")
    for shell, marker in (("bash", "complete -o nosort -F"), ("zsh", "compdef")):
        res = subprocess.run([exe], env={**os.environ, "_LOKDARPAN_DB_COMPLETE": f"{shell}_source"},
                             capture_output=True, text=True, check=True)
        assert marker in res.stdout, f"no {shell} completion script: {res.stdout[:200]!r}"


def test_completion_offers_the_verbs():
    exe = os.path.join(os.path.dirname(sys.executable), "lokdarpan-db")
    res = subprocess.run(
        [exe], capture_output=True, text=True, check=True,
        env={**os.environ, "_LOKDARPAN_DB_COMPLETE": "bash_complete", "COMP_WORDS": "lokdarpan-db dep",
             "COMP_CWORD": "1"},
    )
    assert "plain,deploy" in res.stdout.split()
