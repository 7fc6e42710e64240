"""Where a restore keeps what it must, and the processes it runs (issue 19, finding 9).

- A private working directory per restore, `<base>/lokdarpan-restore-<pid>-<random>` (0700;
  base: --workdir, else $LOKDARPAN_BACKUP_WORKDIR, else $TMPDIR)
  (per parallel backup, `lokdarpan-backup-<pid>-<random>`, holding pg_dump's directory),
  holding a lock file the running restore keeps locked (flock). It is removed on every exit the
  process lives through (errors, Ctrl-C, SIGTERM); one left by a killed run (kill -9, a power
  cut) has no live holder of its lock, and the next restore removes it before starting.
- The decrypted dump a parallel restore needs (pg_restore -j reads a seekable file) is created
  0600 in that directory and unlinked at once, before a byte of plaintext is written: it has no
  name while it holds data, pg_restore and its workers open it as /dev/fd/N, and the kernel frees
  it when the last of them closes it — however they end. With --jobs 1 no file is made at all:
  the plaintext is streamed into pg_restore's stdin.
- Child processes (pg_restore and its workers) run in a process group of their own and die with
  the restore: the leader gets SIGTERM from the kernel when the restoring process dies
  (PR_SET_PDEATHSIG), and pg_restore's SIGTERM handler cancels its query and passes the signal to
  its workers. On an error or an interrupt the restore sends SIGTERM to the group itself.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import LokdarpanError

WORKDIR_ENV = "LOKDARPAN_BACKUP_WORKDIR"  # where working directories go (--workdir); else $TMPDIR
PREFIX = "lokdarpan-restore-"
BACKUP_PREFIX = "lokdarpan-backup-"  # `backup create --jobs N`: pg_dump's directory while it runs
LOCK = ".lock"
_DIR_RE = re.compile(r"^lokdarpan-(?:restore|backup)-(\d+)-[A-Za-z0-9_]+$")
PR_SET_PDEATHSIG = 1
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class NoSpaceError(LokdarpanError):
    """The working directory has no room for the decrypted dump."""


def no_space(
    directory: Path, exc: OSError, need: int | None = None, streamable: bool | None = True
) -> NoSpaceError:
    """The one-line error for a full working directory. `streamable`: the backup is one archive
    that `--jobs 1` streams into pg_restore (True), a parallel backup's directory of files that
    pg_restore must read from disk whatever --jobs says (False), or not known yet (None)."""
    size = f" ({need / (1 << 20):,.0f} MB needed)" if need else ""
    if streamable is None:
        tail = (
            "; a backup made with --jobs 0 or 1 can also be restored with --jobs 1 (streams the dump "
            "into pg_restore, needs no space)"
        )
    elif streamable:
        tail = ", or restore with --jobs 1 (streams the dump into pg_restore, needs no space)"
    else:
        tail = (
            " (this backup was made with --jobs N: pg_restore reads its files from disk, so it needs "
            "that room whatever --jobs says)"
        )
    return NoSpaceError(
        f"no space left in {directory} for the decrypted dump{size}: {exc.strerror}; free space "
        f"there or set {WORKDIR_ENV} (or TMPDIR) to a private directory with room{tail}"
    )


def sweep(base: Path) -> list[Path]:
    """Remove working directories of restores that are no longer running (their lock is free)."""
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for path in entries:
        if not _DIR_RE.match(path.name) or not path.is_dir() or path.is_symlink():
            continue
        try:
            if path.lstat().st_uid != os.geteuid():
                continue
            fd = os.open(path / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            pid = int(_DIR_RE.match(path.name).group(1))  # type: ignore[union-attr]
            if _alive(pid):
                continue  # made a moment ago, lock not yet taken
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a live restore holds it
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def base_dir(base: Path | None = None) -> Path:
    """Where working directories are made: `base` (--workdir), else $LOKDARPAN_BACKUP_WORKDIR,
    else $TMPDIR (tempfile's default)."""
    if base is not None:
        return Path(base)
    env = os.environ.get(WORKDIR_ENV)
    return Path(env) if env else Path(tempfile.gettempdir())


@contextmanager
def workdir(base: Path | None = None, prefix: str = PREFIX) -> Iterator[Path]:
    """A private (0700) directory for one restore (or parallel backup), locked while it runs,
    removed after; those of killed runs are swept first."""
    root = base_dir(base)
    sweep(root)
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=root))
        os.chmod(path, 0o700)
        fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise no_space(root, exc, streamable=None) from None
        raise LokdarpanError(f"cannot make a private working directory in {root}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def anonymous_file(directory: Path, chunks: Iterable[bytes], need: int | None = None) -> int:
    """Write `chunks` to a 0600 file in `directory` that is unlinked before any byte is written;
    returns its descriptor (read it as /dev/fd/N). A full disk is a NoSpaceError naming the place."""
    path = directory / f"dump-{os.getpid()}"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise no_space(directory.parent, exc, need) from None
        raise
    os.unlink(path)
    try:
        for block in chunks:
            view = memoryview(block)
            while view:
                view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError as exc:
        os.close(fd)
        if exc.errno in NO_SPACE:
            raise no_space(directory.parent, exc, need) from None
        raise
    except BaseException:
        os.close(fd)
        raise
    return fd


def _die_with_parent(parent: int):
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def preexec() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody to serve
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class Child:
    """A child process that dies with this one; stderr is collected (bounded) by a thread."""

    KEEP = 256 * 1024

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        stdin: int | None = None,
        pass_fds: tuple[int, ...] = (),
        stdout: int | None = subprocess.DEVNULL,
    ):
        self.proc = subprocess.Popen(
            args,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=env,
            pass_fds=pass_fds,
            preexec_fn=_die_with_parent(os.getpid()),
            process_group=0,
            close_fds=True,
        )
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if len(self._err) < self.KEEP:
                self._err += line

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait(self) -> int:
        rc = self.proc.wait()
        self._reader.join(timeout=5)
        return rc

    @property
    def stderr(self) -> str:
        return self._err.decode(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the group (pg_restore cancels its queries and stops its workers), then
        SIGKILL whatever is left after 10 s."""
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        with suppress(ProcessLookupError, PermissionError):  # workers, if any outlived their leader
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does) while this block runs, so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held back while a critical step (the swap) runs: it completes, or its
    transaction is rolled back, before an interrupt is seen."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
