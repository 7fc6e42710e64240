"""CLI conventions every verb shares: the global options after the verb, --version, and shell
completion (Click's, documented in the README)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from test_cli_docs import ALL

import lokdarpan_db.cli
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


# ---------------------------------------------------------------- no SQL and no file handling in cli/
# (GUIDE.md rule 1: a verb is a library function that returns a report; the CLI parses and renders.)

CLI_DIR = Path(lokdarpan_db.cli.__file__).parent
SQL = re.compile(
    r"\b(select\s.+?\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|truncate\s|merge\s+into"
    r"|(create|alter|drop)\s+(or\s+replace\s+)?(table|index|schema|function|procedure|view|role|database"
    r"|extension|trigger|type|sequence)|grant\s+\w+\s+on|copy\s+\S+\s+(from|to))\b",
    re.I | re.S,
)
# Calls that run SQL or touch files: they belong in the library.
FORBIDDEN_CALLS = {"execute", "executemany", "copy", "cursor", "unlink", "rmtree", "remove", "rmdir",
                   "delete", "write_text", "write_bytes", "rename", "mkdir", "touch", "chmod",
                   "read_text", "read_bytes"}
FORBIDDEN_BUILTINS = {"open"}  # (a method named open(), a watcher's, is fine)


def cli_findings(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{name}:{node.lineno}: SQL in a string: {node.value[:60]!r}")
        elif isinstance(node, ast.Call):
            fn = node.func
            if (isinstance(fn, ast.Attribute) and fn.attr in FORBIDDEN_CALLS) \
                    or (isinstance(fn, ast.Name) and fn.id in FORBIDDEN_CALLS | FORBIDDEN_BUILTINS):
                found.append(f"{name}:{node.lineno}: calls {ast.unparse(fn)}()")
    return found


def test_no_sql_and_no_file_handling_in_the_cli():
    found = [f for path in sorted(CLI_DIR.glob("*.py")) for f in cli_findings(path.read_text(), path.name)]
    assert not found, "move these into the library (lokdarpan_db/<domain>/):\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    'conn.execute("select 1")',
    'rows = f"SELECT step, rows FROM public.recompute_electoral()"',
    'store.delete(name)',
    'path.unlink()',
    'shutil.rmtree(d)',
    'os.remove(p)',
    'open(p, "w")',
    'q = "insert into ward values (1)"',
])
def test_the_convention_check_sees_sql_and_file_handling(source: str):
    assert cli_findings(source, "x.py"), source


def test_help_texts_are_not_mistaken_for_sql():
    assert not cli_findings('h = "Drop the HNSW index of each model and rebuild it; select a ward."', "x.py")


# ------------------------------------------------- exit codes: decided in one place, lokdarpan_db/errors.py


def literal_exit_codes(source: str, name: str) -> list[str]:
    """`exit_code = 2`, `SystemExit(1)`, `sys.exit(3)`: an exit code written as a number instead of
    errors.py's names (OK, PROBLEMS, BAD_INPUT, CANNOT_RUN, MONITOR_*)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = [ast.unparse(t).rsplit(".", 1)[-1] for t in getattr(node, "targets", ())]
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and "exit_code" in targets:
            found.append(f"{name}:{node.lineno}: exit_code = {node.value.value!r}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("SystemExit", "sys.exit") and any(
            isinstance(a, ast.Constant) and a.value not in (0, None) for a in node.args
        ):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_exit_codes_are_named_in_errors_py_only():
    package = CLI_DIR.parent
    sources = [p for p in sorted(package.rglob("*.py"))
               if p.name != "errors.py" or p.parent != package]
    found = [f for p in sources if "devtools" not in p.relative_to(package).parts
             for f in literal_exit_codes(p.read_text(), str(p.relative_to(package)))]
    assert not found, "use lokdarpan_db.errors' names for exit codes:\n" + "\n".join(found)
    assert literal_exit_codes("class E:\n    exit_code = 3\nraise SystemExit(1)\nsys.exit(2)\n", "x.py") == [
        "x.py:2: exit_code = 3", "x.py:3: SystemExit(1)", "x.py:4: sys.exit(2)"]
