"""Sqitch's registry (schema `sqitch`, release 1.1): its tables, and the rows a deploy writes.

The tables and columns are Sqitch's own (App::Sqitch::Engine::pg.sql), so `sqitch status`,
`sqitch verify` and `sqitch revert` work on a database this tool deployed, and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from ..errors import RegistryError
from .plan import Change, Plan
from .plan_syntax import perl_true
from .uri import registered as registered_uri

SCHEMA = "sqitch"
RELEASE = 1.1
# Sqitch's own advisory lock key (App::Sqitch::Engine::pg): two tools exclude each other.
LOCK_KEY = 75474063

REGISTRY_DDL = """
create schema if not exists sqitch;
comment on schema sqitch is 'Sqitch database deployment metadata v1.1.';

create table sqitch.releases (
    version         real        primary key,
    installed_at    timestamptz not null default clock_timestamp(),
    installer_name  text        not null,
    installer_email text        not null
);
comment on table sqitch.releases is 'Sqitch registry releases.';

create table sqitch.projects (
    project         text        primary key,
    uri             text            null unique,
    created_at      timestamptz not null default clock_timestamp(),
    creator_name    text        not null,
    creator_email   text        not null
);
comment on table sqitch.projects is 'Sqitch projects deployed to this database.';

create table sqitch.changes (
    change_id       text        primary key,
    script_hash     text            null,
    change          text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    note            text        not null default '',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    unique(project, script_hash)
);
comment on table sqitch.changes is 'Tracks the changes currently deployed to the database.';

create table sqitch.tags (
    tag_id          text        primary key,
    tag             text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    change_id       text        not null references sqitch.changes(change_id) on update cascade,
    note            text        not null default '',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    unique(project, tag)
);
comment on table sqitch.tags is 'Tracks the tags currently applied to the database.';

create table sqitch.dependencies (
    change_id       text        not null references sqitch.changes(change_id)
                                on update cascade on delete cascade,
    type            text        not null,
    dependency      text        not null,
    dependency_id   text            null references sqitch.changes(change_id) on update cascade
                                constraint dependencies_check check (
            (type = 'require'  and dependency_id is not null)
         or (type = 'conflict' and dependency_id is null)
    ),
    primary key (change_id, dependency)
);
comment on table sqitch.dependencies is 'Tracks the currently satisfied dependencies.';

create table sqitch.events (
    event           text        not null constraint events_event_check check (
        event in ('deploy', 'revert', 'fail', 'merge')
    ),
    change_id       text        not null,
    change          text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    note            text        not null default '',
    requires        text[]      not null default '{}',
    conflicts       text[]      not null default '{}',
    tags            text[]      not null default '{}',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    primary key (change_id, committed_at)
);
comment on table sqitch.events is 'Contains full history of all deployment events.';
"""


# Sqitch's COMMENT ON TABLE / COLUMN statements of pg.sql (App::Sqitch 1.3.1), word for word.
REGISTRY_COMMENTS: tuple[tuple[str, str | None, str], ...] = (
    ("releases", None, "Sqitch registry releases."),
    ("releases", "version", "Version of the Sqitch registry."),
    ("releases", "installed_at", "Date the registry release was installed."),
    ("releases", "installer_name", "Name of the user who installed the registry release."),
    ("releases", "installer_email", "Email address of the user who installed the registry release."),
    ("projects", None, "Sqitch projects deployed to this database."),
    ("projects", "project", "Unique Name of a project."),
    ("projects", "uri", "Optional project URI"),
    ("projects", "created_at", "Date the project was added to the database."),
    ("projects", "creator_name", "Name of the user who added the project."),
    ("projects", "creator_email", "Email address of the user who added the project."),
    ("changes", None, "Tracks the changes currently deployed to the database."),
    ("changes", "change_id", "Change primary key."),
    ("changes", "script_hash", "Deploy script SHA-1 hash."),
    ("changes", "change", "Name of a deployed change."),
    ("changes", "project", "Name of the Sqitch project to which the change belongs."),
    ("changes", "note", "Description of the change."),
    ("changes", "committed_at", "Date the change was deployed."),
    ("changes", "committer_name", "Name of the user who deployed the change."),
    ("changes", "committer_email", "Email address of the user who deployed the change."),
    ("changes", "planned_at", "Date the change was added to the plan."),
    ("changes", "planner_name", "Name of the user who planed the change."),
    ("changes", "planner_email", "Email address of the user who planned the change."),
    ("tags", None, "Tracks the tags currently applied to the database."),
    ("tags", "tag_id", "Tag primary key."),
    ("tags", "tag", "Project-unique tag name."),
    ("tags", "project", "Name of the Sqitch project to which the tag belongs."),
    ("tags", "change_id", "ID of last change deployed before the tag was applied."),
    ("tags", "note", "Description of the tag."),
    ("tags", "committed_at", "Date the tag was applied to the database."),
    ("tags", "committer_name", "Name of the user who applied the tag."),
    ("tags", "committer_email", "Email address of the user who applied the tag."),
    ("tags", "planned_at", "Date the tag was added to the plan."),
    ("tags", "planner_name", "Name of the user who planed the tag."),
    ("tags", "planner_email", "Email address of the user who planned the tag."),
    ("dependencies", None, "Tracks the currently satisfied dependencies."),
    ("dependencies", "change_id", "ID of the depending change."),
    ("dependencies", "type", "Type of dependency."),
    ("dependencies", "dependency", "Dependency name."),
    ("dependencies", "dependency_id", "Change ID the dependency resolves to."),
    ("events", None, "Contains full history of all deployment events."),
    ("events", "event", "Type of event."),
    ("events", "change_id", "Change ID."),
    ("events", "change", "Change name."),
    ("events", "project", "Name of the Sqitch project to which the change belongs."),
    ("events", "note", "Description of the change."),
    ("events", "requires", "Array of the names of required changes."),
    ("events", "conflicts", "Array of the names of conflicting changes."),
    ("events", "tags", "Tags associated with the change."),
    ("events", "committed_at", "Date the event was committed."),
    ("events", "committer_name", "Name of the user who committed the event."),
    ("events", "committer_email", "Email address of the user who committed the event."),
    ("events", "planned_at", "Date the event was added to the plan."),
    ("events", "planner_name", "Name of the user who planed the change."),
    ("events", "planner_email", "Email address of the user who plan planned the change."),
)


@dataclass(frozen=True)
class Committer:
    name: str
    email: str

    @classmethod
    def from_environment(cls) -> Committer:
        """Who is deploying, found exactly as Sqitch finds it (see identity.py)."""
        from .identity import sqitch_identity

        name, email = sqitch_identity()
        return cls(name=name, email=email)


@dataclass(frozen=True)
class DeployedChange:
    change_id: str
    change: str
    script_hash: str | None
    committed_at: datetime
    committer_name: str
    planned_at: datetime
    tags: tuple[str, ...]


def exists(conn: psycopg.Connection) -> bool:
    row = conn.execute("select to_regclass('sqitch.changes') is not null").fetchone()
    return bool(row and row[0])


def ensure(conn: psycopg.Connection, plan: Plan, who: Committer) -> None:
    """Create the registry (if missing) and register the project, in one transaction."""
    with conn.transaction():
        if not exists(conn):
            conn.execute(REGISTRY_DDL)
            conn.execute(
                "insert into sqitch.releases (version, installer_name, installer_email)"
                " values (%s, %s, %s)",
                (RELEASE, who.name, who.email),
            )
        else:
            row = conn.execute("select max(version) from sqitch.releases").fetchone()
            version = row[0] if row else None
            if version is None or abs(float(version) - RELEASE) > 1e-6:
                raise RegistryError(
                    f"the sqitch registry is release {version}, this tool speaks {RELEASE}; "
                    "upgrade it with `sqitch upgrade`"
                )
        add_missing_comments(conn)
        _register_project(conn, plan, who)


def add_missing_comments(conn: psycopg.Connection) -> int:
    """Give the registry's tables and columns Sqitch's comments (REGISTRY_COMMENTS) where they
    have none: a new registry, and one an earlier lokdarpan-db created without them. A comment
    already there is left alone, and so is a table the current user does not own (COMMENT needs
    ownership). Returns how many comments were added."""
    rows = conn.execute(
        """select c.relname, a.attname, pg_catalog.col_description(c.oid, a.attnum)
           from pg_catalog.pg_class c
           join pg_catalog.pg_attribute a
             on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
           where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
             and pg_catalog.pg_has_role(c.relowner, 'USAGE')
           union all
           select c.relname, null, pg_catalog.obj_description(c.oid, 'pg_class')
           from pg_catalog.pg_class c
           where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
             and pg_catalog.pg_has_role(c.relowner, 'USAGE')"""
    ).fetchall()
    present = {(r[0], r[1]): r[2] for r in rows}
    added = 0
    for table, column, text in REGISTRY_COMMENTS:
        if (table, column) not in present or present[(table, column)] is not None:
            continue
        target = sql.SQL("table {}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(table))
        if column is not None:
            target = sql.SQL("column {}.{}.{}").format(
                sql.Identifier(SCHEMA), sql.Identifier(table), sql.Identifier(column))
        conn.execute(sql.SQL("comment on {} is {}").format(target, sql.Literal(text)))
        added += 1
    return added


def _register_project(conn: psycopg.Connection, plan: Plan, who: Committer) -> None:
    """Sqitch's register_project: the URI is stored as Perl's URI->new writes it, and a project
    registered with another URI (or with none, or none where the plan has one) is refused."""
    uri = registered_uri(plan.uri) if perl_true(plan.uri) else None
    row = conn.execute("select uri from sqitch.projects where project = %s", (plan.project,)).fetchone()
    if row is not None:
        if row[0] != uri:
            raise RegistryError(
                f'the database registers project "{plan.project}" with URI {row[0] or "(none)"}, '
                f"but the plan says {uri or '(none)'}"
            )
        return
    if uri is not None:
        other = conn.execute("select project from sqitch.projects where uri = %s", (uri,)).fetchone()
        if other:
            raise RegistryError(f'cannot register "{plan.project}" with URI {uri}: project '
                                f'"{other[0]}" already uses it')
    conn.execute(
        "insert into sqitch.projects (project, uri, creator_name, creator_email)"
        " values (%s, %s, %s, %s)",
        (plan.project, uri, who.name, who.email),
    )


def deployed(conn: psycopg.Connection, project: str) -> list[DeployedChange]:
    """Deployed changes of the project, oldest first."""
    if not exists(conn):
        return []
    rows = conn.execute(
        """
        select c.change_id, c.change, c.script_hash, c.committed_at, c.committer_name, c.planned_at,
               coalesce(array_agg(t.tag order by t.committed_at)
                        filter (where t.tag is not null), '{}')
        from sqitch.changes c
        left join sqitch.tags t on t.change_id = c.change_id
        where c.project = %s
        group by c.change_id
        order by c.committed_at, c.change_id
        """,
        (project,),
    ).fetchall()
    return [DeployedChange(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows]


def _tags_param(change: Change) -> list[str]:
    return [t.format_name for t in change.tags]


def record_deploy(
    conn: psycopg.Connection, plan: Plan, change: Change, who: Committer, script_hash: str | None,
    resolved: dict[str, str],
) -> None:
    """Write changes, dependencies, tags and a deploy event (inside the caller's transaction)."""
    conn.execute(
        """insert into sqitch.changes (change_id, script_hash, change, project, note,
               committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s, %s, clock_timestamp())""",
        (change.id, script_hash, change.name, plan.project, change.note, who.name, who.email,
         change.timestamp, change.planner_name, change.planner_email),
    )
    for dep in change.dependencies:
        conn.execute(
            "insert into sqitch.dependencies (change_id, type, dependency, dependency_id)"
            " values (%s, %s, %s, %s)",
            (change.id, dep.type, dep.as_string(plan),
             None if dep.conflict else resolved[dep.as_string(plan)]),
        )
    record_tags(conn, plan, change, who)
    record_event(conn, plan, change, who, "deploy")


def record_tags(conn: psycopg.Connection, plan: Plan, change: Change, who: Committer) -> int:
    """Insert the change's tags that are not yet in the registry; returns how many were added."""
    added = 0
    for tag in change.tags:
        cur = conn.execute(
            """insert into sqitch.tags (tag_id, tag, project, change_id, note, committer_name,
                   committer_email, planned_at, planner_name, planner_email, committed_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s, %s, clock_timestamp())
               on conflict do nothing""",
            (tag.id, tag.format_name, plan.project, change.id, tag.note, who.name, who.email,
             tag.timestamp, tag.planner_name, tag.planner_email),
        )
        added += cur.rowcount
    return added


def record_event(
    conn: psycopg.Connection, plan: Plan, change: Change, who: Committer, event: str,
    registered: tuple[list[str], list[str], list[str]] | None = None,
) -> None:
    """Log an event. Deploy and fail events take tags, requires and conflicts from the plan;
    a revert event passes `registered`: what the registry held for the change (Sqitch's pg
    engine logs the tags it deleted and the dependencies it found, so a tag planned after the
    change was deployed, and never deployed, is not logged)."""
    tags, requires, conflicts = registered or (
        _tags_param(change),
        [d.as_string(plan) for d in change.requires],
        [d.as_string(plan) for d in change.conflicts],
    )
    conn.execute(
        """insert into sqitch.events (event, change_id, change, project, note, tags, requires,
               conflicts, committer_name, committer_email, planned_at, planner_name, planner_email,
               committed_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s, %s,
                   clock_timestamp())""",
        (event, change.id, change.name, plan.project, change.note, tags, requires, conflicts,
         who.name, who.email, change.timestamp, change.planner_name, change.planner_email),
    )


def record_revert(conn: psycopg.Connection, plan: Plan, change: Change, who: Committer) -> None:
    """Delete the change's rows and log a revert event with the tags and dependencies the
    registry held (App::Sqitch::Engine::pg's log_revert_change, same statements)."""
    tags = [r[0] for r in conn.execute(
        "delete from sqitch.tags where change_id = %s returning tag", (change.id,)).fetchall()]
    row = conn.execute(
        """select array(select dependency from sqitch.dependencies
                         where change_id = %(id)s and type = 'require'),
                  array(select dependency from sqitch.dependencies
                         where change_id = %(id)s and type = 'conflict')""",
        {"id": change.id},
    ).fetchone()
    assert row is not None
    conn.execute("delete from sqitch.dependencies where change_id = %s", (change.id,))
    conn.execute("delete from sqitch.changes where change_id = %s", (change.id,))
    record_event(conn, plan, change, who, "revert", (tags, list(row[0]), list(row[1])))


def change_id_for(
    conn: psycopg.Connection, project: str, *, change_id: str | None = None,
    change: str | None = None, tag: str | None = None, first: bool = False,
) -> str | list[str] | None:
    """Sqitch's change_id_for (DBIEngine): a deployed change by id, by name (the earliest with
    `first`, else every match, oldest first, for the caller to call ambiguous), by `name@tag` (the
    latest instance deployed no later than the tag), or by `@tag` (HEAD and ROOT: latest, earliest)."""
    if not exists(conn):
        return None
    if change_id:
        row = conn.execute("select change_id from sqitch.changes where change_id = %s",
                           (change_id,)).fetchone()
        return row[0] if row else None
    if change:
        if tag:
            if tag == "ROOT":
                return None
            if tag == "HEAD":
                return _one(conn, "select change_id from sqitch.changes where project = %s and change = %s"
                            " order by committed_at desc limit 1", (project, change))
            return _one(conn, """select c.change_id from sqitch.changes c
                                  join sqitch.tags t on c.committed_at <= t.committed_at
                                   and c.project = t.project
                                 where c.project = %s and c.change = %s and t.tag = %s
                                 order by c.committed_at desc limit 1""", (project, change, "@" + tag))
        ids = [r[0] for r in conn.execute(
            "select change_id from sqitch.changes where project = %s and change = %s"
            " order by committed_at", (project, change))]
        if first:
            return ids[0] if ids else None
        return ids
    if tag:
        if tag in ("HEAD", "ROOT"):
            order = "desc" if tag == "HEAD" else "asc"
            return _one(conn, "select change_id from sqitch.changes where project = %s"
                        f" order by committed_at {order} limit 1", (project,))
        return _one(conn, "select change_id from sqitch.tags where project = %s and tag = %s",
                    (project, "@" + tag))
    return None


def change_id_offset(conn: psycopg.Connection, project: str, change_id: str, offset: int) -> str | None:
    """The deployed change `offset` places after (positive) or before (negative) `change_id`."""
    if not offset:
        return change_id
    op, order = (">", "asc") if offset > 0 else ("<", "desc")
    return _one(conn, f"""select change_id from sqitch.changes
                          where project = %s and committed_at {op} (
                                select committed_at from sqitch.changes where change_id = %s)
                          order by committed_at {order} limit 1 offset %s""",
                (project, change_id, abs(offset) - 1))


def changes_requiring(conn: psycopg.Connection, change_ids: list[str]) -> list[tuple[str, str, str]]:
    """(required change id, project, requiring change name) for deployed changes outside
    `change_ids` that require one of them (Sqitch's changes_requiring_change)."""
    return [tuple(r) for r in conn.execute(
        """select d.dependency_id, c.project, c.change from sqitch.dependencies d
             join sqitch.changes c on c.change_id = d.change_id
            where d.dependency_id = any(%s) and not d.change_id = any(%s)
            order by c.committed_at""", (change_ids, change_ids))]


def _one(conn: psycopg.Connection, sql: str, params: tuple) -> str | None:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def events(conn: psycopg.Connection, project: str, limit: int | None = None) -> list[dict]:
    if not exists(conn):
        return []
    sql = """select event, change, change_id, committed_at, committer_name, committer_email,
                    note, tags
             from sqitch.events where project = %s order by committed_at desc"""
    params: tuple = (project,)
    if limit:
        sql += " limit %s"
        params = (project, limit)
    cur = conn.execute(sql, params)
    cols = [d.name for d in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# ---------------------------------------------------------------------------- the deploy lock
def try_lock(conn: psycopg.Connection) -> bool:
    """Take Sqitch's session advisory lock if it is free (Sqitch takes the same key)."""
    return bool(conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0])


def unlock(conn: psycopg.Connection) -> None:
    conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))


def lock_holder(conn: psycopg.Connection) -> str:
    """Who holds the deploy lock, for a waiting deployer's message: pid, user, application, address."""
    row = conn.execute(
        """select a.pid, a.usename, nullif(a.application_name, ''), a.client_addr
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.locktype = 'advisory' and l.granted and l.database = (
                 select oid from pg_database where datname = current_database())
             and l.classid = 0 and l.objid = %s and l.objsubid = 1
           limit 1""",
        (LOCK_KEY,),
    ).fetchone()
    if not row:
        return "pid unknown"
    pid, user, app, addr = row
    bits = [f"pid {pid}", f"user {user}"]
    if app:
        bits.append(app)
    if addr:
        bits.append(f"from {addr}")
    return ", ".join(bits)


def lock_changes(conn: psycopg.Connection) -> None:
    """Inside a change's transaction: serialise registry writers (Sqitch does the same)."""
    conn.execute("lock table sqitch.changes in exclusive mode")
