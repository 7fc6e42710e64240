"""Scratch databases on a server we administer: `backup drill` restores into one; tests and benchmarks
create and drop them (devtools.scratch re-exports these)."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .connect import OPERATOR_OPTIONS


def create_database(admin_url: str, prefix: str = "scratch", operator: bool = False,
                    template: str | None = None) -> str:
    """Create an empty database with a unique name (or a copy of the database the conninfo
    `template` names, which nobody may be connected to); returns its conninfo. An `operator`
    conninfo carries no statement timeout (benchmarks load millions of rows in one statement)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if template is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        else:
            conn.execute(sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(conninfo_to_dict(template)["dbname"])))
    if operator:
        return make_conninfo(admin_url, dbname=name, options=OPERATOR_OPTIONS)
    return make_conninfo(admin_url, dbname=name)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database `url` names, disconnecting whoever is still in it."""
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
