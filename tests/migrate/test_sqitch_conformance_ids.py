"""Ids, events and registry side by side with Debian's sqitch 1.3.1 (issue 20, items 6, 10-13).

- the project URI: our port of Perl's ``URI->new($uri)->canonical`` (URI 5.17 with URI::db, as
  Sqitch loads them) against Perl itself, over a table of varied URIs and a few thousand generated
  ones; then a `%uri=postgresql://…` project deployed by us and read by `sqitch status`;
- revert events: tags and dependencies as the registry held them, as Sqitch logs them;
- non-ASCII digits in a timestamp: refused by `plan`, `status` and `deploy`, one line naming it;
- the registry we create: Sqitch's table and column comments, `pg_dump` equal to Sqitch's, and an
  older registry of ours gains them on the next deploy.

(The plan-level cases, `!0` and the timestamps, are rows of test_sqitch_conformance.CASES.)
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from support import Databases, Project, cli_env
from test_sqitch_behaviour import ours, sqitch

from lokdarpan_db.devtools.pgtap import libpq_env
from lokdarpan_db.errors import PlanError
from lokdarpan_db.migrate import plan as plan_mod
from lokdarpan_db.migrate import registry as registry_mod
from lokdarpan_db.migrate import uri as uri_mod
from lokdarpan_db.server.cluster import pg_bindir

pytestmark = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")

# ------------------------------------------------------------------------------- item 6: %uri
URIS = [
    # database URIs (URI::db): engine aliases, default ports, userinfo, queries, sockets, IPv6
    "postgresql://H/db", "postgresql://H:5432/db", "postgres://H/db", "pg://H/db",
    "postgresql://user:pw@Host.Example.COM:5433/db?sslmode=require", "pgsql://localhost/x",
    "redshift://H:5439/db", "redshift://H:5432/db", "yugabyte://H:5433/db", "yugabyte://H:5432/db",
    "cockroachdb://H:26257/db", "mysql://H:3306/db", "mariadb://H/db", "sqlite:/tmp/x.db",
    "sqlite3:///tmp/x.db", "postgresql://%2Fvar%2Frun/db", "postgresql:///db?host=/var/run",
    "postgresql://[::1]:5432/db", "postgresql://H:/db", "postgresql://H",
    "postgresql://U%40x:p%3Aw@H/d%62?a=%62", "postgresql://H:٥٤٣٢/db",
    # URI::db's nested form
    "db:pg://H/db", "db:postgresql://H:5432/db", "DB:PG://H/db", "db:https://H", "db:foo://H:/x",
    "db:sqlite:foo.db", "db:x", "db:HTTPS://H", "ldap://H/dc=Example?CN",
    # http-like: ports, case, escapes, empty path, userinfo, IPv6, IDN, fragments, wrappers
    "https://example.com:443/x", "https://example.com:8443/x", "https://Example.COM",
    "http://example.com:80", "http://example.com:", "HTTP://EXAMPLE.com/%7Euser/%2f?Q=%41#Frag%7e",
    "https://user:Pass@Example.com/x", "https://user@Example.com:443", "https://[::1]:443/x",
    "https://[2001:DB8::1]/x", "https://example.com/ward ä", "https://bücher.example/",
    "https://BÜCHER.example/x", "https://example.com/a%2Fb%3a%3A%e4", "https://example.com/?",
    "https://example.com?q", "https://example.com#", "https://ex%41mple.com/",
    "https://straße.example/", "https://A%20B/", "https://%C3%9C.EXAMPLE/", "https://X%2FY/",
    "https://Ü..b/", "https://XN--ü.b/", "https://A%40B@C/", "urn://ex%41mple:/%7Euser?a=b",
    "https://EX%41MPLE.com/", "https://example.com:0443/", "https://example.com:99999/",
    "<URL:https://example.com>", '"https://example.com/"', "  https://example.com/x  ",
    "mms://H", "rtsp://H:554",
    # other schemes, and text that is no URI at all
    "urn:ISBN:0451450523", "URN:UUID:6E8BC430-9C3A-11D9-9669-0800200C9A66", "urn:example:Foo",
    "file:///tmp/X", "file://localhost/tmp/x", "file://Host/tmp/x", "file:/tmp/x", "FILE:///tmp/x",
    "file:x", "File://Localhost/x", "mailto:Someone@Example.COM", "git://Example.com:9418/conf",
    "git@github.com:org/repo.git", "ssh://git@GitHub.com:22/org/repo.git", "ftp://H:21/x",
    "telnet://H:23", "tag:example.com,2026:Conf", "data:,Hello%2C%20World", "news:comp.lang.perl",
    "lokdarpan", "example.com/x", "//example.com/x", "/relative/path", "HTTPS", "https:",
    "https://", "https:///x", "x:y", "0", '"0"', "<>",
]


def _generated(count: int, seed: int) -> list[str]:
    """URIs put together from parts that each touch a canonicalisation rule."""
    rnd = random.Random(seed)
    schemes = ["http", "HTTPS", "postgresql", "Postgres", "pg", "db:pg", "db:postgresql", "DB:Https",
               "git", "urn", "file", "mailto", "tag", "sqlite3", "mysql", "ftp", "ssh", "x-y.z+w", "",
               "mongodb", "redshift", "yugabyte", "data", "news"]
    hosts = ["H", "example.COM", "[::1]", "[2001:DB8::A]", "bücher.EXAMPLE", "ex%41mple", "",
             "localhost", "LOCALHOST", "127.0.0.1", "h_x", "a b", "%2Fvar%2Frun", "%C3%9C.EXAMPLE",
             "XN--ü.b", "Ü..b", "straße.Example", "A%20B", "X%2FY", "1:2:3", "A%40B", "ß.de"]
    users = ["", "u@", "U:P@", "u%40x:p%3a@", "ü@", "a b@"]
    ports = ["", ":", ":80", ":443", ":5432", ":5433", ":0443", ":9", ":٤٤٣"]
    paths = ["", "/", "/db", "/a%2fb", "/%7Euser", "/ä ö", "/a/../b", "//x", "/x;p=1", "/%e4"]
    queries = ["", "?", "?a=b", "?q=%41&x=%zz", "?a b"]
    frags = ["", "#", "#F%7e", "#a#b"]
    out = []
    for _ in range(count):
        scheme = rnd.choice(schemes)
        prefix = f"{scheme}:" if scheme else ""
        if rnd.random() < 0.8:
            text = (prefix + "//" + rnd.choice(users) + rnd.choice(hosts) + rnd.choice(ports)
                    + rnd.choice(paths) + rnd.choice(queries) + rnd.choice(frags))
        else:
            text = prefix + rnd.choice(["x", "ISBN:12", "Foo:Bar", "a%41b", "0", "/p", "ä", "AB#C:d",
                                        "X-Y:z"]) \
                + rnd.choice(queries)
        if rnd.random() < 0.05:
            text = f" <{text}> "
        if rnd.random() < 0.05:
            text = f'"{text}"'
        out.append(text)
    return out


# Perl with App::Sqitch loaded (so URI and URI::db are the modules Sqitch uses): for each URI,
# the plan's URI object's string, its Perl truth and its canonical form, as Plan.pm uses them.
PERL_URI = r"""
use strict; use warnings; use URI; use App::Sqitch;
binmode STDIN, ':encoding(UTF-8)'; binmode STDOUT, ':encoding(UTF-8)';
while (my $l = <STDIN>) {
    chomp $l;
    my $u = URI->new($l);
    my $canon = eval { $u->canonical } // "\0died";
    print join("\x1f", $l, "$u", ($u ? 1 : 0), $canon), "\x1e";
}
"""


def _perl_uris(uris: list[str]) -> list[tuple[str, str, bool, str]]:
    res = subprocess.run(["perl", "-e", PERL_URI], input="".join(u + "\n" for u in uris),
                         env=cli_env(), capture_output=True, text=True, timeout=300, check=True)
    rows = []
    for rec in res.stdout.split("\x1e")[:-1]:
        src, new, true, canon = rec.split("\x1f")
        rows.append((src, new, true == "1", canon))
    assert [r[0] for r in rows] == uris
    return rows


@pytest.mark.parametrize("uris", [URIS, *(_generated(1500, seed) for seed in (1, 2))],
                         ids=["table", "generated-1", "generated-2"])
def test_project_uri_canonical_as_perl_uri(uris: list[str]):
    mismatches = []
    for src, new, true, canon in _perl_uris(uris):
        try:
            ours_canon = uri_mod.canonical(src)
        except uri_mod.UnsupportedURI:
            # refused where Perl dies (Sqitch then refuses the plan), and for LDAP URIs
            if canon != "\0died" and not src.lower().startswith("ldap"):
                mismatches.append((src, canon, "refused"))
            continue
        got = (uri_mod.registered(src), uri_mod.is_true(src), ours_canon)
        if got != (new, true, canon):
            mismatches.append((src, (new, true, canon), got))
    assert mismatches == []


def test_ldap_project_uri_is_refused_in_one_line(tmp_path: Path):
    path = tmp_path / "sqitch.plan"
    path.write_text("%project=conf\n%uri=ldap://H/dc=Example?CN\n\n"
                    "a 2026-01-01T00:00:00Z Ravi <r@x>\n")
    with pytest.raises(PlanError) as exc:
        plan_mod.load(path)
    assert str(exc.value).startswith(f"{path}: %uri=ldap://H/dc=Example?CN: ")
    assert "\n" not in str(exc.value)


def test_offsets_take_ascii_digits_only(tmp_path: Path):
    path = tmp_path / "sqitch.plan"
    path.write_text("%project=conf\n\n" + "".join(
        f"{n} 2026-01-01T00:00:00Z Ravi <r@x>\n" for n in ("a", "b", "c")))
    plan = plan_mod.load(path)
    assert plan.resolve("@HEAD^2").name == "a"
    with pytest.raises(PlanError, match='unknown tag "@HEAD\\^٢"'):
        plan.resolve("@HEAD^٢")  # Sqitch: an offset of 0, i.e. @HEAD


@pytest.fixture()
def two_dbs(databases: Databases):
    made = [databases.create("sq"), databases.create("us")]
    yield made
    for url in made:
        databases.drop(url)


def _events(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select event, change_id, change, note, tags, requires, conflicts, planned_at,"
            " planner_name, planner_email from sqitch.events order by committed_at").fetchall()


def test_postgresql_uri_project_deployed_by_us_is_up_to_date_for_sqitch(
        two_dbs, project: Project, run_cli: Callable[..., subprocess.CompletedProcess]):
    project.plan.write_text("%syntax-version=1.0.0\n%project=testproj\n"
                            "%uri=postgresql://DB.Example.IN:5432/lokdarpan\n\n")
    project.add("a", "create table a ();", "drop table a;")
    project.add("b", "create table b ();", "drop table b;", deps="a", minute=1)
    theirs, mine = two_dbs
    res = ours(run_cli, project, mine, "deploy")
    assert res.returncode == 0, res.stderr
    status = sqitch(project, mine, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Nothing to deploy (up-to-date)" in status.stdout
    res = sqitch(project, theirs, "deploy")
    assert res.returncode == 0, res.stdout + res.stderr
    assert [e[1] for e in _events(theirs)] == [e[1] for e in _events(mine)]


# --------------------------------------------------------------- item 10: revert event tags
def test_revert_event_logs_the_registry_s_tags_not_the_plan_s(
        two_dbs, project: Project, run_cli: Callable[..., subprocess.CompletedProcess]):
    project.add("a", "create table a ();", "drop table a;")
    project.tag("v1")
    project.add("b", "create table b ();", "drop table b;", deps="a", minute=1)
    theirs, mine = two_dbs
    assert sqitch(project, theirs, "deploy").returncode == 0
    assert ours(run_cli, project, mine, "deploy").returncode == 0
    project.tag("v2", minute=2)  # planned after the deploy: never deployed
    res = sqitch(project, theirs, "revert", "-y")
    assert res.returncode == 0, res.stdout + res.stderr
    res = ours(run_cli, project, mine, "revert", "-y")
    assert res.returncode == 0, res.stderr
    theirs_events, mine_events = _events(theirs), _events(mine)
    assert [e[0] for e in theirs_events] == ["deploy", "deploy", "revert", "revert"]
    assert mine_events == theirs_events
    assert [(e[2], e[4]) for e in mine_events[2:]] == [("b", []), ("a", ["@v1"])]


# --------------------------------------------------------- item 11: non-ASCII timestamp digits
@pytest.mark.parametrize("verb", ["plan", "status", "deploy"])
def test_timestamp_with_non_ascii_digits_is_refused_in_one_line(
        empty_db: str, project: Project, run_cli: Callable[..., subprocess.CompletedProcess], verb: str):
    project.add("a", "create table a ();", "drop table a;")
    project.append("b 2026-0٣-01T00:00:00Z Test Planner <planner@example.org>")
    for kind in ("deploy", "revert", "verify"):
        (project.root / "db" / kind / "b.sql").write_text("select 1;\n")
    assert sqitch(project, empty_db, "status").returncode != 0
    res = ours(run_cli, project, empty_db, verb)
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"{project.plan}:6: invalid timestamp 2026-0٣-01T00:00:00Z" in lines[0]
    with psycopg.connect(empty_db) as conn:
        assert not registry_mod.exists(conn)


# ------------------------------------------------------------- item 13: the registry's comments
def _dump_registry(url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_env(url))
    res = subprocess.run([str(pg_bindir() / "pg_dump"), "--schema-only", "--no-owner",
                          "--schema=sqitch"], capture_output=True, text=True, env=env, check=True)
    # pg_dump 15.14+ wraps its output in \restrict/\unrestrict lines with a random key.
    return "\n".join(ln for ln in res.stdout.splitlines()
                     if not ln.startswith(("\\restrict ", "\\unrestrict ")))


def _comments(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select c.relname, a.attname::text, col_description(c.oid, a.attnum)
               from pg_class c
               join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
               where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
               union all
               select c.relname, null, obj_description(c.oid, 'pg_class')
               from pg_class c where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
               order by 1, 2 nulls first""").fetchall()


def test_registry_we_create_dumps_as_sqitch_s(two_dbs, project: Project,
                                              run_cli: Callable[..., subprocess.CompletedProcess]):
    project.add("a", "create table a ();", "drop table a;")
    theirs, mine = two_dbs
    res = sqitch(project, theirs, "deploy")
    assert res.returncode == 0, res.stdout + res.stderr
    assert ours(run_cli, project, mine, "deploy").returncode == 0
    assert _comments(mine) == _comments(theirs)
    assert sum(1 for c in _comments(mine) if c[1] is not None and c[2] is not None) == 49
    assert _dump_registry(mine) == _dump_registry(theirs)


def test_registry_of_an_earlier_version_gains_the_comments_on_deploy(
        two_dbs, project: Project, run_cli: Callable[..., subprocess.CompletedProcess]):
    project.add("a", "create table a ();", "drop table a;")
    theirs, mine = two_dbs
    assert sqitch(project, theirs, "deploy").returncode == 0
    assert ours(run_cli, project, mine, "deploy").returncode == 0
    with psycopg.connect(mine) as conn:  # as lokdarpan-db left it before issue 20
        for table, column, _ in registry_mod.REGISTRY_COMMENTS:
            if column is not None:
                conn.execute(f"comment on column sqitch.{table}.{column} is null")
    project.add("b", "create table b ();", "drop table b;", minute=1)
    assert ours(run_cli, project, mine, "deploy").returncode == 0
    assert sqitch(project, theirs, "deploy").returncode == 0
    assert _dump_registry(mine) == _dump_registry(theirs)
    with psycopg.connect(mine) as conn:
        assert registry_mod.add_missing_comments(conn) == 0  # idempotent
