"""Issue 18e: no function's error message echoes more than a short prefix of a long input.

Every function of schema public (extensions' aside) is called with a 10 MB text in each of its
text, varchar, jsonb and text[] arguments in turn, the other arguments null (pass 1) or plausible
small values (pass 2, so that checks of the first arguments pass and later ones are reached), in a
transaction that is rolled back. No message, detail or hint may hold more than 20 characters of
the input, nor be longer than 300 characters.
"""

from __future__ import annotations

import psycopg
import pytest

FILL = "Z"
BIG = FILL * 10_000_000
TEXTUAL = {"text", "character varying", "jsonb", "json", "text[]"}
SMALL = {"text": "x", "character varying": "x", "integer": "1", "bigint": "1", "smallint": "1",
         "numeric": "1", "double precision": "1", "boolean": "false", "jsonb": "{}", "json": "{}"}


def _functions(conn: psycopg.Connection) -> list[tuple[str, list[str]]]:
    return [(name, types) for name, types in conn.execute(
        r"""select p.proname, p.proargtypes::regtype[]::text[]
            from pg_catalog.pg_proc as p
            where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
                and p.prorettype <> 'trigger'::regtype and p.proname not like 'tap\_%'
                and not exists (select from pg_catalog.pg_depend as d
                                where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid
                                    and d.deptype = 'e')
            order by 1, 2""").fetchall()]


def _big(kind: str) -> str:
    if kind in ("jsonb", "json"):
        return '{"a": "' + BIG + '"}'
    if kind == "text[]":
        return "{" + BIG + "}"
    return BIG


def test_no_message_echoes_a_long_input(db_url: str):
    leaks: list[str] = []
    with psycopg.connect(db_url) as conn:
        conn.execute("set statement_timeout = '30s'")
        conn.commit()
        for name, types in _functions(conn):
            for i, kind in enumerate(types):
                if kind not in TEXTUAL:
                    continue
                for others in ("null", "small"):
                    args, params = [], []
                    for j, t in enumerate(types):
                        if j == i:
                            args.append(f"%s::{t}")
                            params.append(_big(t))
                        elif others == "small" and t in SMALL:
                            args.append(f"%s::{t}")
                            params.append(SMALL[t])
                        else:
                            args.append(f"null::{t}")
                    try:
                        conn.execute(f"select * from public.{name}({', '.join(args)})", params)
                    except psycopg.Error as exc:
                        d = exc.diag
                        parts = (d.message_primary, d.message_detail, d.message_hint)
                        text = " ".join(x or "" for x in parts)
                        if FILL * 21 in text or len(text) > 300:
                            leaks.append(f"{name}({', '.join(types)}) argument {i + 1}, others {others}: "
                                         f"{len(text)} characters: {text[:120]!r}")
                    finally:
                        conn.rollback()
    assert leaks == [], "\n".join(leaks)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("select * from public.ai_report_request(1, 'q', null, %s)",
         "analysis depth must be quick, standard or deep, got "
         "'ZZZZZZZZZZZZZZZZZZZZ'... (10000000 characters)"),
        ("select public.maintenance_interval(%s)",
         "maintenance setting 'ZZZZZZZZZZZZZZZZZZZZ'... (10000000 characters) has no period"),
    ],
)
def test_the_functions_that_echoed_40_or_64_characters(db_url: str, call: str, message: str):
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.errors.InvalidParameterValue) as caught:
        conn.execute(call, (BIG,))
    assert caught.value.diag.message_primary == message
