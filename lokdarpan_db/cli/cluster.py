"""`lokdarpan-db cluster …`: the embedded PostgreSQL under .lokdarpan/."""

from __future__ import annotations

import sys

import click

from ..errors import PROBLEMS, BadInputError
from ..server.cluster import LocalCluster
from .context import Context, json_option, pass_ctx
from .output import notice, out


def _local(c: Context) -> LocalCluster:
    return LocalCluster(c.project_dir / ".lokdarpan")


@click.group()
def cluster() -> None:
    """The embedded PostgreSQL under .lokdarpan/ (the default database when none is given).

    \b
    Examples:
      lokdarpan-db cluster start && lokdarpan-db cluster status
    """


@cluster.command("init")
@json_option
@pass_ctx
def cluster_init(c: Context) -> None:
    """Create the embedded cluster (initdb) without starting it.

    \b
    Examples:
      lokdarpan-db cluster init
    """
    lc = _local(c)
    created = lc.init()
    c.emit({"root": str(lc.root), "port": lc.port, "created": created},
           lambda: out.print(f"{'created' if created else 'already exists:'} {lc.root} (port {lc.port})"))


@cluster.command("start")
@json_option
@pass_ctx
def cluster_start(c: Context) -> None:
    """Start the embedded cluster, creating it first if needed. A cluster made by an older
    version (local connections trusted, files readable by others) is tightened first.

    \b
    Examples:
      lokdarpan-db cluster start
    """
    lc = _local(c)
    lc.init()
    started = lc.start()
    for change in lc.hardened:
        notice(f"tightened the embedded PostgreSQL: {change}")
    c.emit({"root": str(lc.root), "url": lc.url(), "started": started, "hardened": list(lc.hardened)},
           lambda: out.print(f"{'started' if started else 'already running:'} {lc.url()}"))


@cluster.command("stop")
@json_option
@pass_ctx
def cluster_stop(c: Context) -> None:
    """Stop the embedded cluster (fast shutdown).

    \b
    Examples:
      lokdarpan-db cluster stop
    """
    lc = _local(c)
    stopped = lc.stop()
    c.emit({"root": str(lc.root), "stopped": stopped},
           lambda: out.print("stopped" if stopped else "not running"))


@cluster.command("status")
@json_option
@pass_ctx
def cluster_status(c: Context) -> None:
    """Say whether the embedded cluster exists and runs. Exit 1 when it is not running.

    \b
    Examples:
      lokdarpan-db cluster status
      lokdarpan-db --json cluster status
    """
    lc = _local(c)
    data = {
        "root": str(lc.root),
        "initialized": lc.initialized,
        "running": lc.running(),
        "url": lc.url() if lc.initialized else None,
    }
    c.emit(
        data,
        lambda: out.print(
            f"{lc.root}: "
            + (
                "not initialized"
                if not lc.initialized
                else f"{'running' if data['running'] else 'stopped'}, {lc.url()}"
            )
        ),
    )
    if not data["running"]:
        sys.exit(PROBLEMS)


@cluster.command("url")
@json_option
@click.option("--tcp", is_flag=True,
              help="Loopback TCP URL instead of the socket URL (the password stays in the passfile).")
@pass_ctx
def cluster_url(c: Context, tcp: bool) -> None:
    """Print the embedded cluster's connection URL.

    \b
    Examples:
      psql "$(lokdarpan-db cluster url)"
      lokdarpan-db cluster url --tcp
    """
    lc = _local(c)
    if not lc.initialized:
        raise BadInputError(f"no cluster at {lc.root}; run `lokdarpan-db cluster init`")
    url = lc.tcp_url() if tcp else lc.url()
    c.emit({"url": url}, lambda: out.print(url, markup=False))
