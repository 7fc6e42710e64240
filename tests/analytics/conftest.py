"""Fixtures of the analytics tests: a deployed database with the real wards and a few posts, and
a second server of our own (restarted by the watch test; without pg_cron for the schedule test)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from support import deploy_plan

from lokdarpan_db.importers.wards import import_wards
from lokdarpan_db.server.cluster import LocalCluster, throwaway


@pytest.fixture(scope="module")
def ward_db(databases) -> Iterator[str]:
    url = databases.create("an")
    deploy_plan(url)
    with psycopg.connect(url, autocommit=True) as conn:
        import_wards(conn)
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def plain_server() -> Iterator[LocalCluster]:
    """A server of our own that does not preload pg_cron, with the plan deployed in its database."""
    with throwaway(prefix="lokdarpan-plain-",
                   settings={"shared_preload_libraries": "'pg_stat_statements'"}) as cluster:
        deploy_plan(cluster.url())
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            import_wards(conn)
        yield cluster
