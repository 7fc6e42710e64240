"""CPU seconds of the server's processes, read from /proc, for the benches' CPU columns.

Wall time is noise on a shared machine; the CPU a backend (or the whole server) used is not. Each
reader returns None, or leaves a process out, where /proc cannot tell: a remote server, a server in
a container (the pid is not its backend), a process that has exited.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3 onwards); OSError if gone."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) process `pid` has used, or None where unreadable."""
    try:
        fields = _stat(pid)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def backend_cpu(conn: psycopg.Connection) -> float | None:
    """CPU seconds the server process of `conn` has used, when the server runs on this machine."""
    host = conn.info.host
    if not (host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")):
        return None
    pid = conn.info.backend_pid
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return None  # a server in a container: that pid is not its backend
    except OSError:
        return None
    return process_cpu(pid)


def postmaster(url: str) -> int | None:
    """The server's postmaster pid when its processes are on this machine (else None)."""
    with psycopg.connect(url, autocommit=True) as conn:  # read while the backend lives
        try:
            ppid = int(_stat(conn.info.backend_pid)[1])
            return ppid if Path(f"/proc/{ppid}/comm").read_text().strip() == "postgres" else None
        except (OSError, ValueError, IndexError):
            return None


def server_cpu(postmaster_pid: int) -> float:
    """CPU seconds of the whole server: the postmaster, the children it has reaped (its cutime and
    cstime), and the children still running."""
    own = _stat(postmaster_pid)
    ticks = sum(int(v) for v in own[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                child = _stat(entry)
            except OSError:
                continue
            if child[1] == str(postmaster_pid):
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")
