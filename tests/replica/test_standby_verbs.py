"""Writing verbs on a hot standby (issue 24): they refuse before starting, in one line naming the
standby and saying to point --db at the primary, exit 3; `watch` refuses because NOTIFY is not
replicated; reading verbs keep working there."""

from __future__ import annotations

import click
import pytest

from lokdarpan_db.cli import cli, run
from lokdarpan_db.cli.context import WRITES

WRITING = [
    ["deploy"],
    ["revert", "-y"],
    ["refresh"],
    ["cleanup"],
    ["cleanup", "--dry-run"],
    ["partitions", "--maintain"],
    ["schedule", "install"],
    ["schedule", "remove"],
    ["schedule", "list"],
    ["keys", "rotate"],
    ["import", "wards"],
    ["import", "constituencies"],
    ["import", "results", "{csv}"],
    ["import", "form20", "{csv}"],
    ["import", "demographics", "{csv}"],
    ["import", "embeddings", "{csv}"],
    ["import", "wards", "--dry-run"],
    ["backup", "drill"],
    ["pitr", "setup"],
    ["pitr", "backup"],
]


@pytest.fixture()
def csv(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    return str(path)


def _stderr_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("argv", WRITING, ids=lambda a: " ".join(a))
def test_writing_verb_refuses_on_the_standby(replica, csv, capsys, argv) -> None:
    args = [a.replace("{csv}", csv) for a in argv]
    assert run(["--db", replica.standby_url, *args]) == 3
    line = _stderr_line(capsys)
    verb = " ".join(a for a in argv[:2] if not a.startswith(("-", "{")))
    assert line.startswith(f"error: {verb}: lokdarpan at ") and "is a hot standby" in line, line
    assert "point --db at the primary" in line
    assert "CONTEXT" not in line and "read-only transaction" not in line


def test_backup_restore_into_the_standby_refuses(replica, tmp_path, capsys) -> None:
    """The database restore writes is --into's, not --db's: --db may name the primary."""
    argv = ["--db", replica.primary_url, "backup", "--dest", str(tmp_path), "restore", "latest",
            "--into", replica.standby_url]
    assert run(argv) == 3
    line = _stderr_line(capsys)
    assert line.startswith("error: backup restore: lokdarpan at ") and "is a hot standby" in line, line


def test_writing_verb_refuses_with_db_after_the_verb(replica, capsys) -> None:
    assert run(["refresh", "--db", replica.standby_url]) == 3
    assert "hot standby" in _stderr_line(capsys)


def test_watch_refuses_on_the_standby(replica, capsys) -> None:
    assert run(["--db", replica.standby_url, "watch", "95"]) == 3
    line = _stderr_line(capsys)
    assert "hot standby" in line and "NOTIFY is not replicated" in line and "primary" in line


@pytest.mark.parametrize("argv", [
    ["status"], ["verify"], ["partitions"], ["integrity"],
    ["deploy", "--dry-run"],
], ids=lambda a: " ".join(a))
def test_reading_verbs_work_on_the_standby(replica, capsys, argv) -> None:
    rc = run(["--db", replica.standby_url, *argv])
    err = capsys.readouterr().err
    assert "hot standby" not in err
    assert rc in (0, 1), err  # integrity may find findings; none fails on recovery
    assert "recovery" not in err and "read-only" not in err, err


def test_the_guard_leaves_the_primary_alone(replica, capsys) -> None:
    assert run(["--db", replica.primary_url, "refresh"]) == 0, capsys.readouterr().err


def test_every_guarded_verb_exists() -> None:
    def paths(cmd: click.Command, prefix: str) -> set[str]:
        if isinstance(cmd, click.Group):
            return {prefix, *(p for n, s in cmd.commands.items() for p in paths(s, f"{prefix} {n}".strip()))}
        return {prefix}

    known = paths(cli, "")
    assert set(WRITES) <= known, set(WRITES) - known
