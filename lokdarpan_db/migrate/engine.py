"""Deploy, revert, verify, status and check: the plan applied to one database connection.

Each change runs in its own transaction together with its registry rows, so a crash never leaves
a half-recorded change. When a change fails, Sqitch's `--mode` decides what else the run undoes:
`all` (the default) reverts every change the run deployed, `tag` back to the last tag the run
reached, `change` nothing more. A script whose first line is `-- lokdarpan:no-transaction` (for
`CREATE INDEX CONCURRENTLY`) runs outside a transaction and is recorded only after it succeeded
(and verified, and left no invalid index); if what follows the script fails, its revert script
runs, as Sqitch does. A session advisory lock (Sqitch's own key) keeps two deployers, ours or
Sqitch, from interleaving.

Every script runs in a session of its own, opened with the connection's parameters, as Sqitch runs
each script in a fresh psql: a `set search_path`, `set role` or temporary table of one change
never reaches the next. The connection the engine was given holds the lock and reads the registry;
a change's registry rows are written in the change's own session and transaction, after the
session is reset to its defaults (so a script's settings cannot touch them). Scripts written from
Sqitch's templates (`BEGIN; … COMMIT;`, verify `BEGIN; … ROLLBACK;`) run as under Sqitch: see
scripts.prepare(). Ctrl-C is a failure of the running change: it is recorded and the run is undone
as `--mode` says, as Sqitch does, before the interrupt goes on.

A transactional change waits for its locks at most a short `lock_timeout` (`ddl_lock_timeout`,
reached by escalating from 100 ms over the attempts, as GitLab's `with_lock_retries`): on a lock
timeout (SQLSTATE 55P03) the attempt's transaction rolls back, so writers queued behind its lock
request go on, and the change is tried again in a new session after a jittered pause, saying which
session held the lock, until `retry_for` seconds have passed. A failed attempt records nothing;
only the final give-up is a failure of the change (a `fail` event, then `--mode`). A
`-- lokdarpan:no-transaction` change (CONCURRENTLY work) runs once, outside this loop, with no
lock_timeout. `ddl_lock_timeout=0` waits forever, without retries, as before.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from ..errors import (
    BadInputError,
    BusyDatabaseError,
    ChangeFailedError,
    DependencyError,
    LockTimeoutError,
    RegistryError,
    VerifyFailedError,
)
from . import activity, dependencies, indexes, registry, scripts, targets
from .plan import Change, Plan, is_nontransactional, script_hash
from .registry import Committer, DeployedChange

Notify = Callable[[str], None]
# Sqitch's deploy modes: what a failed run undoes besides the failing change.
MODES = ("all", "tag", "change")
DEFAULT_MODE = "all"
# The longest lock wait accepted: a day (NaN, infinities and longer waits are refused).
MAX_LOCK_TIMEOUT = 86400.0
# Lock waits of a transactional change (see the module's docstring): the cap of one attempt's
# lock_timeout (0 = wait forever, no retries), and how long to keep retrying.
DEFAULT_DDL_LOCK_TIMEOUT = 2.0
DEFAULT_RETRY_FOR = 120.0
MAX_DDL_LOCK_TIMEOUT = 600.0
# The first attempt's lock_timeout; it doubles every second attempt up to ddl_lock_timeout.
FIRST_LOCK_TIMEOUT = 0.1
# The pause before a retry: starts at 0.2 s, grows 1.5x per attempt up to 3 s, jittered +-50 %.
FIRST_PAUSE, MAX_PAUSE = 0.2, 3.0
LOCK_NOT_AVAILABLE = "55P03"
# deploy and plan list the transactions open for longer than this (or than --refuse-if-busy).
SHOW_BUSY_AFTER = 1.0
# Every script session notices a deployer killed mid-statement within a second, not at its end.
SESSION_OPTIONS = "-c client_connection_check_interval=1s"
# What a new psql session would start from: the connection's defaults (RESET ALL leaves the role).
_RESET = ("reset all", "set session authorization default")
_LOST = "no change is half-applied or half-recorded: run deploy again to finish"


def quiet(_: str) -> None:
    """A notify callback that says nothing."""
    pass


@dataclass
class PendingChange:
    change: Change
    script: Path
    sql: str
    transactional: bool

    def as_dict(self) -> dict[str, object]:
        return {"change": self.change.name, "script": str(self.script), "transactional": self.transactional,
                "sql": self.sql}


@dataclass
class Status:
    project: str
    deployed: list[DeployedChange]
    pending: list[Change]
    drifted: list[str]
    unknown: list[DeployedChange]

    @property
    def last(self) -> DeployedChange | None:
        return self.deployed[-1] if self.deployed else None

    def as_dict(self) -> dict[str, object]:
        return {
            "project": self.project,
            "deployed": [d.change for d in self.deployed],
            "last_change": self.last.change if self.last else None,
            "last_deployed_at": self.last.committed_at if self.last else None,
            "pending": [ch.name for ch in self.pending],
            "drifted": self.drifted,
            "unknown": [d.change for d in self.unknown],
        }


@dataclass
class VerifyResult:
    ok: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_deployed: list[str] = field(default_factory=list)
    # Not run, as in Sqitch: instances reworked later (their old verify describes the old code),
    # and changes whose verify script is missing (a warning; verify still passes).
    reworked: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)

    def raise_if_failed(self) -> None:
        if self.failed:
            names = ", ".join(n for n, _ in self.failed)
            raise VerifyFailedError(f"verify failed for {len(self.failed)} change(s): {names}")

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "failed": dict(self.failed), "not_deployed": self.not_deployed,
                "reworked": self.reworked, "missing_verify_scripts": dict(self.missing)}


@dataclass
class CheckResult:
    drifted: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    verify_failed: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing_scripts: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.drifted or self.verify_failed or self.unknown or self.missing_scripts)

    def as_dict(self) -> dict[str, object]:
        return {
            "drifted": [{"change": n, "deployed_hash": a, "current_hash": b} for n, a, b in self.drifted],
            "verify_failed": dict(self.verify_failed),
            "unknown": self.unknown,
            "missing_scripts": self.missing_scripts,
            "clean": self.clean,
        }


class Engine:
    def __init__(
        self,
        conn: psycopg.Connection,
        plan: Plan,
        committer: Committer | None = None,
        notify: Notify = quiet,
        lock_timeout: float = 60.0,
        ddl_lock_timeout: float = DEFAULT_DDL_LOCK_TIMEOUT,
        retry_for: float = DEFAULT_RETRY_FOR,
    ):
        if not conn.autocommit:
            raise ValueError("the engine needs an autocommit connection; it manages transactions")
        if not (isinstance(lock_timeout, int | float) and math.isfinite(lock_timeout)
                and 0 <= lock_timeout <= MAX_LOCK_TIMEOUT):
            raise BadInputError(f"lock timeout {str(lock_timeout)[:20]} is not a number of seconds "
                                f"from 0 to {MAX_LOCK_TIMEOUT:g}")
        self.set_lock_retries(ddl_lock_timeout, retry_for)
        self.conn = conn
        self.plan = plan
        self.who = committer or Committer.from_environment()
        self.notify = notify
        self.lock_timeout = lock_timeout

    def set_lock_retries(self, ddl_lock_timeout: float, retry_for: float) -> None:
        """The cap of an attempt's lock_timeout (0 = wait forever, no retries) and how many
        seconds to keep retrying a change whose attempts time out on a lock."""
        for name, value, high in (("DDL lock timeout", ddl_lock_timeout, MAX_DDL_LOCK_TIMEOUT),
                                  ("retry-for", retry_for, MAX_LOCK_TIMEOUT)):
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= high):
                raise BadInputError(f"{name} {str(value)[:20]} is not a number of seconds "
                                    f"from 0 to {high:g}")
        self.ddl_lock_timeout = float(ddl_lock_timeout)
        self.retry_for = float(retry_for)

    # ------------------------------------------------------------------ locking
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold Sqitch's session advisory lock; wait (saying for whom) up to lock_timeout seconds."""
        conn = self.conn
        if not registry.try_lock(conn):
            self.notify(f"waiting for another deploy ({registry.lock_holder(conn)}) to finish, "
                        f"up to {self.lock_timeout:g} s")
            deadline = time.monotonic() + self.lock_timeout
            while not registry.try_lock(conn):
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(
                        f"gave up after {self.lock_timeout:g} s waiting for another deploy "
                        f"({registry.lock_holder(conn)}) to release the lock"
                    )
                time.sleep(0.2)
        try:
            yield
        finally:
            if not conn.closed:
                registry.unlock(conn)

    # ------------------------------------------------------------------ sessions
    def _session_conninfo(self, lock_timeout: float | None = None) -> str:
        """The parameters the engine's connection was opened with (password included, as libpq
        holds them), plus SESSION_OPTIONS, plus a lock_timeout (seconds) when given: a startup
        option, so the `reset all` before the registry rows keeps it."""
        params = {o.keyword.decode(): o.val.decode() for o in self.conn.pgconn.info if o.val}
        extra = SESSION_OPTIONS
        if lock_timeout is not None:
            extra += f" -c lock_timeout={max(1, round(lock_timeout * 1000))}ms"
        params["options"] = f"{params.get('options', '')} {extra}".strip()
        return make_conninfo("", **params)

    @contextmanager
    def _session(self, lock_timeout: float | None = None) -> Iterator[psycopg.Connection]:
        """A new autocommit session for one script, as Sqitch's psql: it starts from the
        connection's defaults whatever earlier scripts set, and is closed (rolled back if a
        transaction is open) after it."""
        conn = psycopg.connect(self._session_conninfo(lock_timeout), autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    @staticmethod
    def _reset(conn: psycopg.Connection) -> None:
        """Back to the session's defaults after a script (inside its transaction too): the verify
        script and the registry rows that follow see neither its settings nor its role."""
        for statement in _RESET:
            conn.execute(statement)

    def _alive(self) -> bool:
        """Whether the engine's connection (and so the deploy lock) survived."""
        if self.conn.closed or self.conn.broken:
            return False
        try:
            self.conn.execute("select 1")
        except psycopg.Error:
            return False
        return True

    @contextmanager
    def _timed(self, sign: str, change: Change) -> Iterator[None]:
        """Say `+ name (12 ms)` or `- name (12 ms)` once the block succeeded."""
        started = time.monotonic()
        yield
        self.notify(f"{sign} {change.name} ({(time.monotonic() - started) * 1000:.0f} ms)")

    # ------------------------------------------------------------------ state
    def _state(self) -> tuple[list[DeployedChange], int]:
        """Deployed changes, and how many leading plan changes they cover. Raises if the registry
        and the plan disagree (a deployed change missing from the plan, or out of order)."""
        deployed = registry.deployed(self.conn, self.plan.project)
        for i, d in enumerate(deployed):
            if i >= len(self.plan.changes) or self.plan.changes[i].id != d.change_id:
                where = self.plan.by_id().get(d.change_id)
                if where is None:
                    raise RegistryError(
                        f'deployed change "{d.change}" ({d.change_id[:12]}) is not in '
                        f"{self.plan.path}; revert it with the plan that deployed it, or restore "
                        "that plan"
                    )
                raise RegistryError(
                    f'deployed change "{d.change}" is at position {i + 1} in the registry but '
                    f"{where.index + 1} in the plan; the plan was reordered after deploying"
                )
        return deployed, len(deployed)

    def status(self) -> Status:
        deployed = registry.deployed(self.conn, self.plan.project)
        ids = self.plan.by_id()
        known = [d for d in deployed if d.change_id in ids]
        unknown = [d for d in deployed if d.change_id not in ids]
        deployed_ids = {d.change_id for d in deployed}
        pending = [c for c in self.plan.changes if c.id not in deployed_ids]
        drifted = [
            d.change
            for d in known
            if d.script_hash != script_hash(self.plan.script(ids[d.change_id], "deploy"))
        ]
        return Status(self.plan.project, known, pending, drifted, unknown)

    def pending(self, to: str | None = None) -> list[PendingChange]:
        """What `deploy --to` would run, with its SQL. Reads only."""
        _, count = self._state()
        last = self.plan.resolve(to).index if to else len(self.plan.changes) - 1
        out = []
        for change in self.plan.changes[count : last + 1]:
            path = self.plan.script(change, "deploy")
            out.append(PendingChange(change, path, scripts.read(path), not is_nontransactional(path)))
        return out

    # ------------------------------------------------------------------ busy database
    def busy(self, older_than: float = SHOW_BUSY_AFTER) -> list[activity.Session]:
        """Other transactions of this database open for more than `older_than` seconds, with
        the relations they hold locks on: what a deploy's DDL would queue behind."""
        return activity.long_transactions(self.conn, older_than)

    def refuse_if_busy(self, older_than: float | None) -> list[activity.Session]:
        """The long transactions to show (older than SHOW_BUSY_AFTER or `older_than`, the lower);
        raises BusyDatabaseError (exit 3) when one is older than `older_than`."""
        show_after = SHOW_BUSY_AFTER if older_than is None else min(SHOW_BUSY_AFTER, older_than)
        found = self.busy(show_after)
        too_old = [s for s in found if older_than is not None and s.xact_age > older_than]
        if too_old:
            more = f" and {len(too_old) - 1} more" if len(too_old) > 1 else ""
            raise BusyDatabaseError(f"not starting: a transaction is open for longer than "
                                    f"{older_than:g} s: {too_old[0].describe()}{more}")
        return found

    # ------------------------------------------------------------------ deploy
    def deploy(self, to: str | None = None, verify: bool = False, mode: str = DEFAULT_MODE,
               refuse_if_busy: float | None = None) -> list[str]:
        """Deploy pending changes up to `to` (see Plan.index_of). Returns the names deployed.
        On failure, `mode` says what the run undoes: `all` every change it deployed, `tag` those
        after the last tagged change it deployed, `change` nothing but the failing change.
        With `refuse_if_busy`, nothing is deployed while another transaction of the database has
        been open for longer than that many seconds (BusyDatabaseError); the long transactions
        found are said first in any case."""
        if mode not in MODES:
            raise BadInputError(f'unknown deploy mode "{mode}" (use {", ".join(MODES)})')
        target = self.plan.resolve(to) if to else None
        self._configure_session()
        with self.locked():
            registry.ensure(self.conn, self.plan, self.who)
            deployed, count = self._state()
            last = target.index if target else len(self.plan.changes) - 1
            if target is not None and target.index < count - 1:
                self.notify(f'"{target.name}" is already deployed; later changes stay (use revert)')
            todo = self.plan.changes[count : last + 1]
            for path, kind in (p for c in todo for p in self._scripts_for(c, verify)):
                self._prepare(path, kind)  # every script exists and is runnable before anything runs
            resolved = dependencies.resolve_for_deploy(
                self.conn, self.plan, todo, {d.change_id for d in deployed})
            if todo:
                for session in self.refuse_if_busy(refuse_if_busy):
                    self.notify(f"long transaction: {session.describe()}")
            self._add_new_tags(count)
            done: list[str] = []
            run: list[Change] = []  # what a failure would undo
            for change in todo:
                try:
                    self._deploy_one(change, verify, resolved[change.id])
                except ChangeFailedError as exc:
                    raise self._undo_run(exc, run, mode) from None
                except KeyboardInterrupt:
                    # Sqitch's psql fails on Ctrl-C, so Sqitch logs the failure and undoes the
                    # run as --mode says; so do we, then let the interrupt go on (exit 130).
                    undone = self._undo_run(ChangeFailedError(f'deploy of "{change.name}" was '
                                                              "interrupted"), run, mode)
                    self.notify(str(undone))
                    raise
                done.append(change.name)
                run.append(change)
                if mode == "tag" and change.tags:
                    run.clear()
            return done

    def _undo_run(self, exc: ChangeFailedError, run: list[Change], mode: str) -> ChangeFailedError:
        """Revert what this run deployed since the mode's safe point; the error to raise. When the
        connection (and with it the lock) is lost, e.g. the server restarted, nothing is undone:
        every change committed with its registry rows or not at all, so a rerun finishes."""
        undo = [] if mode == "change" else run
        if not self._alive():
            names = ", ".join(c.name for c in reversed(undo))
            skipped = f", so --mode {mode} did not revert what this run deployed ({names})" if undo else ""
            return ChangeFailedError(f"{exc}; the connection to the server was lost{skipped}; {_LOST}")
        if not undo:
            return exc
        back_to = run[0].parent
        where = f'"{back_to.format_name_with_tags}"' if back_to else "nothing deployed"
        self.notify(f"reverting the {len(run)} change(s) this run deployed, back to {where} "
                    f"(--mode {mode})")
        for change in reversed(run):
            try:
                self._revert_one(change)
            except ChangeFailedError as failed:
                if not self._alive():
                    return ChangeFailedError(f"{exc}; then the connection to the server was lost while "
                                             f"--mode {mode} reverted this run; {_LOST}")
                return ChangeFailedError(
                    f"{exc}; then undoing the run (--mode {mode}) failed: {failed}; the schema needs "
                    "manual repair")
        names = ", ".join(c.name for c in reversed(run))
        return ChangeFailedError(f"{exc}; --mode {mode} reverted what this run had deployed "
                                 f"({names}), back to {where}")

    def _scripts_for(self, change: Change, verify: bool) -> list[tuple[Path, str]]:
        kinds = ("deploy", "revert", "verify") if verify else ("deploy", "revert")
        return [(self.plan.script(change, kind), kind) for kind in kinds]

    @staticmethod
    def _prepare(path: Path, kind: str) -> list[scripts.Statement]:
        """The statements to run (see scripts.prepare); refuses what cannot run as written."""
        scripts.read(path)  # a missing or non-UTF-8 script first
        return scripts.prepare(path, kind, transactional=not is_nontransactional(path))

    def _configure_session(self) -> None:
        # Notice a deployer killed mid-statement within a second instead of at statement end.
        self.conn.execute("set client_connection_check_interval = '1s'")

    def _add_new_tags(self, count: int) -> None:
        """Tags added to the plan after their change was deployed (Sqitch's log_new_tags)."""
        with self.conn.transaction():
            for change in self.plan.changes[:count]:
                if registry.record_tags(self.conn, self.plan, change, self.who):
                    self.notify(f"tagged {change.name} with {', '.join(t.format_name for t in change.tags)}")

    def _apply(self, path: Path, record: Callable[[psycopg.Connection], None]) -> None:
        """Run a revert script and its registry bookkeeping in a session of their own. Normally
        one transaction holds both; a script marked non-transactional runs statement by statement
        in autocommit, and `record` follows in its own transaction only once the script
        succeeded."""
        stmts = self._prepare(path, "revert")
        with self._session() as conn:
            if is_nontransactional(path):
                scripts.run(conn, path, stmts)
                self._reset(conn)
                with conn.transaction():
                    record(conn)
                return
            with conn.transaction():
                registry.lock_changes(conn)
                scripts.run(conn, path, stmts)
                self._reset(conn)
                record(conn)

    def _deploy_one(self, change: Change, verify: bool, resolved: dict[str, str]) -> None:
        path = self.plan.script(change, "deploy")
        digest = script_hash(path)

        def record(conn: psycopg.Connection) -> None:
            self._reset(conn)
            if verify:
                self._verify_one(conn, change)
            registry.record_deploy(conn, self.plan, change, self.who, digest, resolved)

        try:
            with self._timed("+", change):
                self._deploy_change_script(change, path, record)
        except (scripts.ScriptError, ChangeFailedError, psycopg.Error) as exc:
            self._record_failure(change)
            raise ChangeFailedError(f'deploy of "{change.name}" failed: {_describe(exc)}') from None
        except KeyboardInterrupt:
            self._record_failure(change)
            raise

    def _deploy_change_script(self, change: Change, path: Path,
                              record: Callable[[psycopg.Connection], None]) -> None:
        stmts = self._prepare(path, "deploy")
        if is_nontransactional(path):  # CONCURRENTLY work: once, no lock_timeout, no retries
            with self._session() as conn:
                self._deploy_outside_transaction(conn, change, path, stmts, record)
            return

        def attempt(conn: psycopg.Connection) -> None:
            with conn.transaction():
                registry.lock_changes(conn)
                scripts.run(conn, path, stmts)
                record(conn)

        self._with_lock_retries(change, attempt)

    def attempt_lock_timeout(self, attempt: int) -> float:
        """Attempt `attempt`'s (0-based) lock_timeout: 100 ms, doubling every second attempt, up
        to ddl_lock_timeout."""
        return min(self.ddl_lock_timeout, FIRST_LOCK_TIMEOUT * 2 ** (attempt // 2))

    @staticmethod
    def retry_pause(attempt: int) -> float:
        """The jittered pause after failed attempt `attempt` (0-based)."""
        return min(MAX_PAUSE, FIRST_PAUSE * 1.5 ** attempt) * random.uniform(0.5, 1.5)

    def _with_lock_retries(self, change: Change, attempt: Callable[[psycopg.Connection], None]) -> None:
        """Run `attempt` (one whole transaction) in a new session; on a lock timeout, retry as the
        module's docstring says. Other errors go through at once."""
        if self.ddl_lock_timeout == 0:  # wait forever, as before
            with self._session() as conn:
                attempt(conn)
            return
        started = time.monotonic()
        tries = 0
        while True:
            timeout = self.attempt_lock_timeout(tries)
            with self._session(lock_timeout=timeout) as conn:
                try:
                    with activity.BlockerWatch(self.conn, conn.info.backend_pid) as watch:
                        attempt(conn)
                    return
                except (scripts.ScriptError, psycopg.Error) as exc:
                    if _sqlstate(exc) != LOCK_NOT_AVAILABLE:
                        raise
            holder = (watch.last[0].describe() if watch.last else "a session that let go before "
                      "it could be named")
            more = f" (and {len(watch.last) - 1} more)" if len(watch.last) > 1 else ""
            tries += 1
            pause = self.retry_pause(tries - 1)
            elapsed = time.monotonic() - started
            if elapsed + pause >= self.retry_for:
                raise ChangeFailedError(
                    f"gave up after {tries} attempt(s) in {elapsed:.1f} s (--retry-for "
                    f"{self.retry_for:g}) waiting for a lock, last held by {holder}{more}")
            self.notify(f"lock wait: {change.name} attempt {tries} gave up after {timeout * 1000:.0f} ms "
                        f"(lock_timeout), blocked by {holder}{more}; retrying in {pause:.1f} s")
            time.sleep(pause)

    def _deploy_outside_transaction(self, conn: psycopg.Connection, change: Change, path: Path,
                                    stmts: list[scripts.Statement],
                                    record: Callable[[psycopg.Connection], None]) -> None:
        """A `-- lokdarpan:no-transaction` change: refuse to run over invalid indexes; run the
        script in autocommit; then, in one transaction, check it left no invalid index, verify
        (with --verify) and record it. If that second step fails, the script's committed effects
        are undone by running the change's revert script, as Sqitch does after a failed verify."""
        found = indexes.invalid_indexes(conn)
        if found:
            raise ChangeFailedError(f"not run: the database has {indexes.describe(found)}")
        try:
            scripts.run(conn, path, stmts)
        except scripts.ScriptError as exc:
            left = indexes.invalid_indexes(conn)
            if left:
                raise ChangeFailedError(f"{exc}; it left {indexes.describe(left)}") from None
            raise
        try:
            self._reset(conn)
            left = indexes.invalid_indexes(conn)
            if left:
                raise ChangeFailedError(f"{path} ran but left {indexes.describe(left)}")
            with conn.transaction():
                record(conn)
        except (scripts.ScriptError, ChangeFailedError, psycopg.Error) as exc:
            revert = self.plan.script(change, "revert")
            try:
                self._run_alone(revert)
            except (scripts.ScriptError, psycopg.Error) as undo:
                raise ChangeFailedError(
                    f"{_describe(exc)}; then its revert script failed too: {_describe(undo)}; the "
                    "schema needs manual repair") from None
            raise ChangeFailedError(f"{_describe(exc)}; its revert script {revert} ran, so it is not "
                                    "applied") from None

    def _run_alone(self, path: Path) -> None:
        """Run a revert script without registry rows, in a session of its own: in a transaction
        unless it is marked otherwise."""
        stmts = self._prepare(path, "revert")
        with self._session() as conn:
            if is_nontransactional(path):
                scripts.run(conn, path, stmts)
            else:
                with conn.transaction():
                    scripts.run(conn, path, stmts)

    def _record_failure(self, change: Change) -> None:
        if self.conn.closed or self.conn.broken:
            return
        try:
            with self.conn.transaction():
                registry.record_event(self.conn, self.plan, change, self.who, "fail")
        except psycopg.Error:  # pragma: no cover - the failure itself is what matters
            pass

    # ------------------------------------------------------------------ revert
    def revertible(self, to: str | None = None) -> list[Change]:
        """Deployed changes a `revert --to` would revert, newest first. `to` is looked up among
        the deployed changes, as Sqitch does (see targets.py)."""
        _, count = self._state()
        stop = -1
        if to:
            stop = self.plan.by_id()[targets.deployed_change_id(self.conn, self.plan, to)].index
        return list(reversed(self.plan.changes[stop + 1 : count]))

    def revert(self, to: str | None = None) -> list[str]:
        self._configure_session()
        with self.locked():
            todo = self.revertible(to)
            for change in todo:
                self._prepare(self.plan.script(change, "revert"), "revert")
            self._check_revert_dependencies(todo)
            done = []
            for change in todo:
                self._revert_one(change)
                done.append(change.name)
            return done

    def _check_revert_dependencies(self, todo: list[Change]) -> None:
        """Refuse to revert a change that a deployed change outside the revert still requires
        (another project's, typically), as Sqitch does."""
        names = {c.id: c.name for c in todo}
        found = registry.changes_requiring(self.conn, list(names)) if todo else []
        if found:
            problems = "; ".join(
                f'"{names[req]}" is required by {"" if project == self.plan.project else project + ":"}'
                f"{change}" for req, project, change in found)
            raise DependencyError(f"cannot revert: {problems}, which stays deployed")

    def _revert_one(self, change: Change) -> None:
        path = self.plan.script(change, "revert")
        try:
            with self._timed("-", change):
                self._apply(path, lambda conn: registry.record_revert(conn, self.plan, change, self.who))
        except (scripts.ScriptError, psycopg.Error) as exc:
            raise ChangeFailedError(f'revert of "{change.name}" failed: {_describe(exc)}') from None

    def log(self, limit: int | None = None) -> list[dict]:
        """Deploy, revert and fail events of this plan's project, newest first."""
        return registry.events(self.conn, self.plan.project, limit)

    # ------------------------------------------------------------------ verify / check
    def _verify_one(self, conn: psycopg.Connection, change: Change) -> None:
        """Run the verify script in a transaction (a savepoint inside a deploy's) and roll it back:
        it must leave no trace, whatever it ends with."""
        path = self.plan.script(change, "verify")
        try:
            stmts = self._prepare(path, "verify")
            with conn.transaction(force_rollback=True):
                scripts.run(conn, path, stmts)
        except (scripts.ScriptError, scripts.TransactionControlError) as exc:
            raise ChangeFailedError(f'verify of "{change.name}" failed: {exc}') from None

    def verify(self) -> VerifyResult:
        """Run every deployed change's verify script (each rolled back). Failures are in the
        result; `result.raise_if_failed()` turns them into VerifyFailedError."""
        return self._verify_deployed(self.status())

    def _verify_deployed(self, status: Status) -> VerifyResult:
        result = VerifyResult()
        if status.unknown:
            raise RegistryError(
                "deployed changes not in the plan: " + ", ".join(d.change for d in status.unknown)
            )
        ids = self.plan.by_id()
        for d in status.deployed:
            change = ids[d.change_id]
            path = self.plan.script(change, "verify")
            if change.is_reworked:  # Sqitch does not verify an instance reworked later
                result.reworked.append(change.format_name_with_tags)
                continue
            if not path.exists():  # Sqitch warns and carries on
                self.notify(f"warning: verify script {path} does not exist")
                result.missing.append((change.name, str(path)))
                continue
            try:
                with self._session() as conn:
                    self._verify_one(conn, change)
                result.ok.append(change.name)
            except ChangeFailedError as exc:
                result.failed.append((change.name, str(exc)))
            except psycopg.Error as exc:
                result.failed.append((change.name, f'verify of "{change.name}" failed: {_describe(exc)}'))
        result.not_deployed = [c.name for c in status.pending]
        return result

    def check(self) -> CheckResult:
        """Deploy scripts edited since they were deployed (hash drift), schema drift that verify
        scripts catch, deployed changes the plan does not know, and plan changes without scripts."""
        result = CheckResult()
        status = self.status()
        ids = self.plan.by_id()
        for d in status.deployed:
            current = script_hash(self.plan.script(ids[d.change_id], "deploy"))
            if current != d.script_hash:
                result.drifted.append((d.change, d.script_hash, current))
        result.unknown = [d.change for d in status.unknown]
        for change in self.plan.changes:
            for kind in ("deploy", "revert", "verify"):
                if not self.plan.script(change, kind).exists():
                    result.missing_scripts.append(str(self.plan.script(change, kind)))
        if not result.unknown:
            result.verify_failed = self._verify_deployed(status).failed
        return result


def _sqlstate(exc: BaseException) -> str | None:
    if isinstance(exc, scripts.ScriptError):
        return exc.sqlstate
    if isinstance(exc, psycopg.Error):
        return exc.diag.sqlstate
    return None


def _describe(exc: BaseException) -> str:
    """One line for an error: PostgreSQL's primary message (and detail) of a database error, which
    libpq may spread over several lines (a lost connection says three)."""
    if isinstance(exc, psycopg.Error):
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        message = exc.diag.message_primary or (lines[0] if lines else type(exc).__name__)
        if exc.diag.message_detail:
            message += f" ({exc.diag.message_detail})"
        return " ".join(message.split())
    return " ".join(str(exc).split())
