"""Issue 19: a restore under real faults — the CLI process killed (kill -9) or interrupted (SIGINT,
SIGTERM) half-way, a full TMPDIR, a full tablespace, pg_cron installed — loses nothing.

Each test runs the real CLI as a process against a real server, a backup of 200,000 rows in one
table besides the whole plan, and a target whose content differs from the backup (a marker row)
so that "untouched" and "restored" can be told apart."""

from __future__ import annotations

import base64
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from support import PLAN, ROOT, cli_env

from lokdarpan_db.backup import crypto, swap
from lokdarpan_db.backup.dump import apply_database_settings, create_backup, database_settings
from lokdarpan_db.backup.restore import without_pg_cron
from lokdarpan_db.backup.store.local import LocalStore
from lokdarpan_db.devtools.scratch import create_database, drop_database

ROWS = 200_000


def _dbname(url: str) -> str:
    return swap.dbname(url)


@pytest.fixture(scope="module")
def big(db_url, tmp_path_factory):
    """The plan deployed, 200,000 rows in public.ai_bulk, a role-in-database setting; one backup."""
    root = tmp_path_factory.mktemp("faults19")
    key = root / "keys"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key.chmod(0o600)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table public.ai_bulk (id int primary key, note text)")
        conn.execute(
            "insert into public.ai_bulk select g, md5(g::text) || md5((g + 1)::text)"
            " from generate_series(1, %s) as g",
            (ROWS,),
        )
        conn.execute(
            sql.SQL("alter role lokdarpan_readonly in database {} set work_mem = '8MB'").format(
                sql.Identifier(_dbname(db_url))
            )
        )
    dest = root / "dest"
    r = create_backup(db_url, LocalStore(dest), crypto.Keyring.load(key), "lokdarpan")
    return {"url": db_url, "dest": dest, "key": key, "id": r.manifest.backup_id}


def settings_of(admin: str, name: str) -> list[tuple]:
    with psycopg.connect(admin) as conn:
        rows = conn.execute(
            "select coalesce(r.rolname, ''), s.setconfig from pg_db_role_setting s"
            " join pg_database d on d.oid = s.setdatabase left join pg_roles r on r.oid = s.setrole"
            " where d.datname = %s order by 1",
            (name,),
        ).fetchall()
    return [(role, sorted(config)) for role, config in rows]


@pytest.fixture()
def target(big, pg_admin_url):
    """A copy of the source with one marker row more: what the restore must leave whole, or replace."""
    url = create_database(pg_admin_url, "tgt19", template=big["url"])
    with psycopg.connect(big["url"]) as conn:
        wanted = database_settings(conn)  # a template copy does not carry them
    with psycopg.connect(url, autocommit=True) as conn:
        apply_database_settings(conn, wanted)
        conn.execute("insert into public.ai_bulk values (0, 'marker: the target as it was')")
    settings = settings_of(pg_admin_url, _dbname(url))
    assert any("statement_timeout=30s" in c for _, c in settings)  # the roles change's setting
    assert any(r == "lokdarpan_readonly" for r, _ in settings)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for (name,) in conn.execute(
            "select datname from pg_database where datname like %s", (_dbname(url) + "%",)
        ).fetchall():
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def cli_args(big, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "lokdarpan_db.cli", "--plan", str(PLAN), "backup",
        "--dest", str(big["dest"]), "--key-file", str(big["key"]), *args,
    ]  # fmt: skip


def run_cli(big, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_args(big, *args), cwd=ROOT, env=cli_env(env), capture_output=True, text=True, timeout=600
    )


def restore(big, url: str, jobs: int, *extra: str, tmpdir: Path | None = None) -> subprocess.CompletedProcess:
    env = {"TMPDIR": str(tmpdir)} if tmpdir else None
    return run_cli(big, "restore", big["id"], "--into", url, "--jobs", str(jobs), *extra, env=env)


def _procs() -> dict[int, tuple[int, str, str]]:
    """pid → (parent pid, state, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(rest[1]), rest[0], cmd)
    return found


def descendants(pid: int) -> dict[int, str]:
    procs = _procs()
    out: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for p, (pp, _, cmd) in procs.items():
            if pp == parent and p not in out:
                out[p] = cmd
                todo.append(p)
    return out


def alive(pids) -> list[int]:
    procs = _procs()
    return [p for p in pids if p in procs and procs[p][1] != "Z"]


def start_restore(
    big, target_url: str, jobs: int, tmpdir: Path, *extra: str
) -> tuple[subprocess.Popen, dict]:
    """The real CLI restoring with --overwrite; returns once pg_restore has been writing a while,
    with the process tree below the CLI at that moment."""
    proc = subprocess.Popen(
        cli_args(big, "restore", big["id"], "--into", target_url, "--overwrite", "--jobs", str(jobs), *extra),
        cwd=ROOT, env=cli_env({"TMPDIR": str(tmpdir)}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        kids = descendants(proc.pid)
        if any("pg_restore" in c and "--dbname" in c for c in kids.values()):
            time.sleep(1.0)  # well into the data: the schema is in, COPY is running
            kids = descendants(proc.pid)
            assert proc.poll() is None, proc.communicate()
            return proc, kids
        if proc.poll() is not None:
            raise AssertionError(f"the restore ended before pg_restore ran: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("pg_restore never started")


def assert_untouched(admin: str, url: str, settings: list[tuple]) -> None:
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from public.ai_bulk").fetchone()[0] == ROWS + 1
        assert conn.execute("select note from public.ai_bulk where id = 0").fetchone()[0].startswith("marker")
    assert settings_of(admin, _dbname(url)) == settings


def assert_no_plaintext(tmpdir: Path) -> None:
    for path in tmpdir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                assert b"PGDMP" not in fh.read(), f"plaintext dump left at {path}"


def strays(admin: str, url: str) -> list[str]:
    with psycopg.connect(admin) as conn:
        return [
            r[0]
            for r in conn.execute(
                "select datname from pg_database where datname like %s order by 1",
                (_dbname(url).replace("_", "\\_") + "\\_\\_%",),
            ).fetchall()
        ]


def wait_gone(pids, seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


@pytest.mark.parametrize("jobs", [2, 1])
def test_kill_9_mid_restore_leaves_the_target_whole_and_nothing_running(
    jobs, big, target, pg_admin_url, tmp_path
):
    """Findings 3, 4 and 9: kill -9 of the CLI half-way through `restore --overwrite`."""
    settings = settings_of(pg_admin_url, _dbname(target))
    proc, kids = start_restore(big, target, jobs, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # pg_restore and its workers die with the CLI: nothing keeps writing
    assert wait_gone(kids) == [], {p: kids[p] for p in alive(kids)}
    # the old target is whole, settings included, and verify passes on it
    assert_untouched(pg_admin_url, target, settings)
    v = subprocess.run(
        [sys.executable, "-m", "lokdarpan_db.cli", "--plan", str(PLAN), "--db", target, "verify"],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert v.returncode == 0, v.stdout + v.stderr
    # no plaintext anywhere under TMPDIR; what is left is one stray side database
    assert_no_plaintext(tmp_path)
    [stray] = strays(pg_admin_url, target)
    assert "__restore_" in stray
    # the next restore drops the stray and the dead run's directory, then replaces the target
    r = restore(big, target, 1, "--overwrite", tmpdir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"dropped {stray}, left by an interrupted restore" in r.stdout
    assert strays(pg_admin_url, target) == []
    assert list(tmp_path.iterdir()) == []
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from public.ai_bulk").fetchone()[0] == ROWS
    assert settings_of(pg_admin_url, _dbname(target)) == settings_of(pg_admin_url, _dbname(big["url"]))


@pytest.mark.parametrize("signum,jobs", [(signal.SIGINT, 1), (signal.SIGTERM, 2)], ids=["SIGINT", "SIGTERM"])
def test_interrupted_restore_cleans_up_after_itself(signum, jobs, big, target, pg_admin_url, tmp_path):
    settings = settings_of(pg_admin_url, _dbname(target))
    proc, kids = start_restore(big, target, jobs, tmp_path)
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted"
    assert alive(kids) == []
    assert_untouched(pg_admin_url, target, settings)
    assert strays(pg_admin_url, target) == []
    assert list(tmp_path.iterdir()) == []


def test_keep_old_keeps_the_replaced_database(big, target, pg_admin_url, tmp_path):
    r = restore(big, target, 2, "--overwrite", "--keep-old")
    assert r.returncode == 0, r.stderr
    [old] = strays(pg_admin_url, target)
    assert "__old_" in old and f"the previous {_dbname(target)} is kept as {old}" in r.stdout
    with psycopg.connect(swap.with_dbname(target, old)) as conn:
        assert conn.execute("select count(*) from public.ai_bulk").fetchone()[0] == ROWS + 1
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from public.ai_bulk").fetchone()[0] == ROWS


def one_line(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    opts = f"size={size},mode=0755"
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")


def test_full_tmpdir_says_which_directory_and_what_to_do(big, target, pg_admin_url, tmp_path):
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "256k")
    try:
        settings = settings_of(pg_admin_url, _dbname(target))
        r = restore(big, target, 2, "--overwrite", tmpdir=mnt)
        assert r.returncode == 1
        line = one_line(r)
        assert f"no space left in {mnt} for the decrypted dump" in line and "--jobs 1" in line
        assert "internal" not in line
        assert list(mnt.iterdir()) == []
        assert_untouched(pg_admin_url, target, settings)
        assert strays(pg_admin_url, target) == []
        # --jobs 1 needs no room there
        r = restore(big, target, 1, "--overwrite", tmpdir=mnt)
        assert r.returncode == 0, r.stderr
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_tmpdir_for_a_parallel_backup_does_not_offer_streaming(big, target, pg_admin_url, tmp_path):
    """A backup made with --jobs N is a directory of files pg_restore reads from disk: `--jobs 1`
    cannot stream it, so the hint must not send the DBA there."""
    parallel_dest = tmp_path / "parallel"
    made = create_backup(
        big["url"], LocalStore(parallel_dest), crypto.Keyring.load(big["key"]), "lokdarpan", jobs=2
    )
    assert made.manifest.directory
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "256k")
    try:
        settings = settings_of(pg_admin_url, _dbname(target))
        for jobs in ("2", "1"):
            r = run_cli(
                {**big, "dest": parallel_dest}, "restore", made.manifest.backup_id, "--into", target,
                "--overwrite", "--jobs", jobs, env={"TMPDIR": str(mnt)},
            )  # fmt: skip
            assert r.returncode == 1, r.stderr
            line = one_line(r)
            assert f"no space left in {mnt} for the decrypted dump" in line, line
            assert "made with --jobs N" in line and "restore with --jobs 1" not in line, line
            assert list(mnt.iterdir()) == []
            assert_untouched(pg_admin_url, target, settings)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_tablespace_names_the_real_cause(big, pg_admin_url, tmp_path):
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        datadir = Path(conn.execute("show data_directory").fetchone()[0])
        owner = conn.execute("select current_user").fetchone()[0]
    if not datadir.exists():
        pytest.skip("the test server is not on this machine (a tablespace needs a local directory)")
    import tempfile

    mnt = Path(tempfile.mkdtemp(prefix="lokdarpan-ts19-"))  # the server's OS user must reach it
    mnt.chmod(0o755)
    _mount_tmpfs(mnt, "24m")
    pw = pwd.getpwuid(datadir.stat().st_uid)
    os.chown(mnt, pw.pw_uid, pw.pw_gid)
    name = f"small19_{os.getpid()}"
    url = None
    try:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("create tablespace {} owner {} location {}").format(
                    sql.Identifier(name), sql.Identifier(owner), sql.Literal(str(mnt))
                )
            )
        url = create_database(pg_admin_url, "ts19")
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter database {} set tablespace {}").format(
                    sql.Identifier(_dbname(url)), sql.Identifier(name)
                )
            )
        r = restore(big, url, 2)
        assert r.returncode == 1, r.stdout
        line = one_line(r)
        assert "No space left on device" in line and "is full" in line, line
        assert "worker process died" not in line
        assert strays(pg_admin_url, url) == []
        with psycopg.connect(url) as conn:
            assert conn.execute("select count(*) from pg_class where relname = 'ai_bulk'").fetchone()[0] == 0
    finally:
        if url:
            drop_database(pg_admin_url, url)
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop tablespace if exists {}").format(sql.Identifier(name)))
        subprocess.run(["umount", str(mnt)], check=False)
        mnt.rmdir()


def test_pg_cron_entries_are_left_out():
    listing = (
        ";\n; Selected TOC Entries:\n;\n"
        "2; 3079 16386 EXTENSION - pg_cron \n"
        "3382; 0 0 COMMENT - EXTENSION pg_cron \n"
        "220; 1259 16424 TABLE public t postgres\n"
        "221; 1259 16425 TABLE public cron postgres\n"
        "3215; 0 16389 TABLE DATA cron job postgres\n"
        "3383; 0 0 SEQUENCE SET cron jobid_seq postgres\n"
        "4390; 0 0 ACL - SCHEMA cron postgres\n"
        "4391; 0 0 ACL cron TABLE job postgres\n"
        "3374; 0 16424 TABLE DATA public t postgres\n"
    )
    kept, skipped = without_pg_cron(listing)
    assert len(skipped) == 6
    assert "TABLE public t " in kept and "TABLE public cron " in kept and "TABLE DATA public t" in kept


def test_restore_and_drill_with_pg_cron_installed(disposable_cron_db_url, tmp_path):
    """Finding 10: the database pg_cron lives in (cron.database_name), with the project's jobs."""
    cron_db_url = disposable_cron_db_url  # it replaces pg_cron's database: a server of its own
    from lokdarpan_db.maintenance.schedule import schedule

    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "install")
        jobs = conn.execute("select count(*) from cron.job").fetchone()[0]
    assert jobs >= 3
    key = tmp_path / "keys"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key.chmod(0o600)
    big = {"dest": tmp_path / "dest", "key": key}
    pre = ["--db", cron_db_url]

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lokdarpan_db.cli", *pre, "--plan", str(PLAN), "backup",
             "--dest", str(big["dest"]), "--key-file", str(key), *args],
            cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    r = cli("drill")
    assert r.returncode == 0, r.stderr
    assert "drill ok" in r.stdout and "lokdarpan-db schedule install" in r.stdout
    r = cli("create", "--json")
    assert r.returncode == 0, r.stderr
    admin = swap.with_dbname(cron_db_url, "postgres")
    other = create_database(admin, "cronrestore")
    try:
        r = cli("restore", "latest", "--into", other)
        assert r.returncode == 0, r.stderr
        assert "health ok" in r.stdout and "lokdarpan-db schedule install" in r.stdout
        with psycopg.connect(other) as conn:
            assert not conn.execute("select 1 from pg_extension where extname = 'pg_cron'").fetchone()
            assert conn.execute("select count(*) from ward").fetchone()[0] >= 0
    finally:
        drop_database(admin, other)
    with psycopg.connect(cron_db_url) as conn:  # no job duplicated, none lost
        assert conn.execute("select count(*) from cron.job").fetchone()[0] == jobs


def test_overwriting_pg_crons_own_database_keeps_its_jobs(disposable_cron_db_url, tmp_path):
    """The embedded cluster's case: the project database is cron.database_name. Restoring over it
    keeps the replaced database (pg_cron's jobs live there) and says how to put the jobs back."""
    cron_db_url = disposable_cron_db_url  # it replaces pg_cron's database: a server of its own
    from lokdarpan_db.maintenance.schedule import schedule

    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule(conn, "install")
        jobs = conn.execute("select count(*) from cron.job").fetchone()[0]
    key = tmp_path / "keys"
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    key.chmod(0o600)
    dest = tmp_path / "dest"
    assert create_backup(cron_db_url, LocalStore(dest), crypto.Keyring.load(key), "lokdarpan").manifest
    admin = swap.with_dbname(cron_db_url, "postgres")
    name = _dbname(cron_db_url)
    r = subprocess.run(
        [sys.executable, "-m", "lokdarpan_db.cli", "--plan", str(PLAN), "backup", "--dest", str(dest),
         "--key-file", str(key), "restore", "latest", "--into", cron_db_url, "--overwrite"],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    try:
        assert r.returncode == 0, r.stderr
        assert "is pg_cron's database" in r.stdout and "lokdarpan-db schedule install" in r.stdout
        [old] = strays(admin, cron_db_url)
        with psycopg.connect(swap.with_dbname(cron_db_url, old)) as conn:
            assert conn.execute("select count(*) from cron.job").fetchone()[0] == jobs
    finally:
        with psycopg.connect(cron_db_url, autocommit=True) as conn:  # as the session fixture was
            schedule(conn, "install")
        with psycopg.connect(admin, autocommit=True) as conn:
            for db in strays(admin, cron_db_url):
                conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(db)))
    with psycopg.connect(cron_db_url) as conn:
        ours = conn.execute("select count(*) from cron.job where jobname like %s", (f"lokdarpan:{name}:%",))
        assert ours.fetchone()[0] == 3
