"""NaN and infinities, refused everywhere a number is stored or passed in (issue 18, Medium 4).

PostgreSQL orders NaN above every number and equal to itself, so `cost_usd >= 0` is TRUE for NaN:
one execution costing 'NaN' made a budget's spend NaN and every later reservation refused. Each
numeric, real and double precision column of every project table must therefore be refused NaN
(and +-Infinity where its type can hold them: floats and numeric without a precision) by a CHECK
on that column alone, and every numeric or float parameter a role can pass must be refused with
an error that names the value. Vectors are not in scope: pgvector refuses NaN and infinities in
vector and halfvec input itself (proved below).
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

NON_FINITE = ("NaN", "Infinity", "-Infinity")

# Every schema a project table may live in (extensions' schemas included: their own tables are
# extension members and left out below, pg_partman's template tables are left out by name), but
# the Sqitch registry, whose tables are Sqitch's to define.
PROJECT_SCHEMAS = """
    (select n.oid from pg_namespace n
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'sqitch')
       and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%')
"""
NUMBER_TYPES = "('numeric'::regtype, 'real'::regtype, 'double precision'::regtype)"


def partman_templates(conn: psycopg.Connection) -> set[str]:
    """pg_partman's template tables (it reads only their indexes and storage options)."""
    if conn.execute("select to_regclass('partman.part_config') is null").fetchone()[0]:
        return set()
    return {r[0] for r in conn.execute(
        "select template_table from partman.part_config where template_table is not null")}


def number_columns(conn: psycopg.Connection) -> list[tuple[int, str, str, str]]:
    """(table oid, table, column, type) of every stored numeric/float column of every project table.
    Partitions are left out: they inherit their parent's checks, which cannot be dropped from them.
    Generated columns are left out: nobody writes them."""
    templates = partman_templates(conn)
    rows = conn.execute(
        f"""select c.oid::integer, c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod)
            from pg_class c
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            join pg_type t on t.oid = a.atttypid
            where c.relnamespace in {PROJECT_SCHEMAS}
              and c.relkind in ('r', 'p', 'f')
              and not c.relispartition
              and a.attgenerated = ''
              and (case when t.typtype = 'd' then t.typbasetype else t.oid end) in {NUMBER_TYPES}
              and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass
                              and d.objid = c.oid and d.deptype = 'e')
            order by 2, 3"""
    ).fetchall()
    return [r for r in rows if r[1] not in templates and f"partman.{r[1]}" not in templates]


def holds(conn: psycopg.Connection, value: str, type_: str) -> bool:
    """Whether the type can hold the value at all (numeric(p,s) cannot hold an infinity)."""
    try:
        with conn.transaction():
            conn.execute(sql.SQL("select {}::" + type_).format(sql.Literal(value)))
        return True
    except psycopg.DataError:
        return False


def refused(conn: psycopg.Connection, table_oid: int, column: str, type_: str, value: str) -> bool:
    """Whether some CHECK of the table on this column alone is FALSE for the value (or raises).
    NULL passes a check, and a check that also names other columns is not counted: its answer
    depends on what they hold."""
    checks = [r[0] for r in conn.execute(
        """select pg_get_expr(k.conbin, k.conrelid)
           from pg_constraint k
           join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
           where k.conrelid = %s and k.contype = 'c' and cardinality(k.conkey) = 1 and a.attname = %s""",
        (table_oid, column),
    )]
    for expr in checks:
        query = sql.SQL("select ({expr}) is false from (select {v}::" + type_ + " as {col}) as t").format(
            expr=sql.SQL(expr), v=sql.Literal(value), col=sql.Identifier(column))
        try:
            with conn.transaction():
                if conn.execute(query).fetchone()[0]:
                    return True
        except psycopg.DataError:
            return True  # the check raises on the value: the row is refused all the same
    return False


def test_every_number_column_refuses_nan_and_infinities(db_url: str):
    with psycopg.connect(db_url) as conn:
        columns = number_columns(conn)
        assert len(columns) > 20, f"only {len(columns)} numeric columns found: is the plan deployed?"
        bad = []
        for oid, table, column, type_ in columns:
            for value in NON_FINITE:
                if holds(conn, value, type_) and not refused(conn, oid, column, type_, value):
                    bad.append(f"{table}.{column} ({type_}) accepts {value}")
    assert not bad, (
        "add a CHECK on the column alone, named chk_<table>_<column>_finite, "
        "e.g. check (x <> 'NaN') or check (x not in ('NaN', 'Infinity', '-Infinity')):\n  "
        + "\n  ".join(bad)
    )


def test_the_walk_sees_what_it_must(db_url: str):
    """The walk covers the money columns, leaves out generated ones and partitions."""
    with psycopg.connect(db_url) as conn:
        seen = {(t, c) for _, t, c, _ in number_columns(conn)}
    assert ("ai_model_execution", "cost_usd") in seen
    assert ("ai_budget_tracker", "total_budget_usd") in seen
    assert ("ai_budget_settled_archive", "cost_usd") in seen
    assert ("ai_model_execution", "cache_hit_ratio") not in seen  # generated
    assert not any(t.startswith("ai_model_execution_") or t.startswith("post_") for t, _ in seen)


def test_a_check_that_depends_on_other_columns_does_not_count(db_url: str):
    """`spent <= total` is NULL for a NaN spent and a NULL total, and `lat is null = lon is null` is
    FALSE only because the other column is NULL: neither refuses NaN."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table pg_temp.nan_probe (spent numeric, total numeric, "
                     "constraint chk_nan_probe_spent check (spent >= 0), "
                     "constraint chk_nan_probe_both check (spent <= total))")
        oid = conn.execute("select 'pg_temp.nan_probe'::regclass::oid::integer").fetchone()[0]
        assert not refused(conn, oid, "spent", "numeric", "NaN")
        conn.execute("alter table pg_temp.nan_probe add constraint chk_nan_probe_spent_finite "
                     "check (spent not in ('NaN', 'Infinity', '-Infinity'))")
        assert all(refused(conn, oid, "spent", "numeric", v) for v in NON_FINITE)


# One call per numeric or float parameter of every function a role may execute, {v} standing for
# the value under test. A new function with such a parameter must be added here.
VECTOR_3072 = "array_fill(0.01::real, array[3072])::vector"
CALLS: dict[str, list[str]] = {
    "ai_budget_reserve(bigint,numeric,text,text,integer,boolean,interval)": [
        "select * from ai_budget_reserve(1, {v}, 'openai', 'report_generation')",
    ],
    "ai_budget_status_for(numeric,numeric,jsonb)": [
        "select ai_budget_status_for({v}, 100, '{{\"warning\": 0.8, \"critical\": 0.95}}')",
        "select ai_budget_status_for(10, {v}, '{{\"warning\": 0.8, \"critical\": 0.95}}')",
    ],
    "ai_jsonb_add(jsonb,text,numeric)": [
        "select ai_jsonb_add('{{\"openai\": 1}}', 'openai', {v})",
    ],
    "ai_report_request(integer,text,text,text,text,text,interval,numeric)": [
        "select * from ai_report_request(null, 'Who leads in Kapra?', null, 'standard', 'neutral', "
        "'normal', interval '1 day', {v})",
    ],
    "compute_ward_constituency(numeric)": [
        "select * from compute_ward_constituency({v})",
    ],
    "find_similar_content(vector,text,integer,double precision,text,boolean)": [
        f"select * from find_similar_content({VECTOR_3072}, null, 10, {{v}}, "
        "'text-embedding-3-large', false)",
    ],
    "ward_constituency_name_check(real,boolean,text)": [
        "select * from ward_constituency_name_check({v})",
    ],
    "constituency_result_merge(text,integer,text,text,text,text,jsonb,boolean,real,integer)": [
        "select constituency_result_merge('LOKSABHA', 2019, 'S29', null, 'PC', 'name', '{{}}', false, {v})",
    ],
    "constituency_result_match_by_name(text,text,real)": [
        "select constituency_result_match_by_name('S29', 'PC', {v})",
    ],
    "constituency_name_match(text,text,text[],real)": [
        "select * from constituency_name_match('S29', 'PC', array['Bhongir'], {v})",
    ],
    "form20_match_candidates(text[],text[],text[],integer[],text[],text[],integer,"
    "double precision)": [
        "select * from form20_match_candidates(array['A'], array['A'], '{{}}', '{{}}', '{{}}', '{{}}', "
        "null, {v})",
    ],
    "form20_constituency(text,text,integer,text,integer,text,real)": [
        "select * from form20_constituency('S29', 'AC', 1, null, null, 'f.csv', {v})",
    ],
    "ward_constituency_recompute_report(numeric)": [
        "select ward_constituency_recompute_report({v})",
    ],
    "constituency_merge(text,text,text,boolean,numeric,boolean,integer)": [
        "select constituency_merge('S29', 'x.geojson', null, false, {v})",
    ],
    "search_posts_slices(tsquery,tsquery,tsquery,text,bigint,integer,bigint,double precision)": [
        "select search_posts_slices('water', 'water:A', 'water:AB', null, 1000, 50, 0, {v})",
    ],
    "report_slow_queries(double precision,integer)": [
        "select * from report_slow_queries({v}, 10)",
    ],
}


def number_parameter_functions(conn: psycopg.Connection) -> list[tuple[str, int, str]]:
    """(signature, number of numeric/float parameters, a non-superuser role that may execute it)
    of every own function some project role or PUBLIC may execute."""
    return conn.execute(
        f"""select p.oid::regprocedure::text,
                   (select count(*)::integer from unnest(p.proargtypes::oid[]) as a (t)
                    join pg_type t on t.oid = a.t
                    where (case when t.typtype = 'd' then t.typbasetype else t.oid end) in {NUMBER_TYPES}),
                   (select r.rolname from pg_roles r
                    where r.rolname in ('lokdarpan_readonly', 'lokdarpan_analyst', 'lokdarpan_app',
                                        'lokdarpan_admin')
                      and has_function_privilege(r.oid, p.oid, 'execute')
                    order by array_position(array['lokdarpan_readonly', 'lokdarpan_analyst',
                                                  'lokdarpan_app', 'lokdarpan_admin'], r.rolname::text)
                    limit 1)
            from pg_proc p
            where p.pronamespace in {PROJECT_SCHEMAS}
              and p.prokind in ('f', 'p')
              and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass
                              and d.objid = p.oid and d.deptype = 'e')
              and exists (select from unnest(p.proargtypes::oid[]) as a (t)
                          join pg_type t on t.oid = a.t
                          where (case when t.typtype = 'd' then t.typbasetype else t.oid end)
                                in {NUMBER_TYPES})
            order by 1"""
    ).fetchall()


def test_every_number_parameter_refuses_nan_and_infinities(db_url: str):
    with psycopg.connect(db_url) as conn:
        functions = [(sig, n, role) for sig, n, role in number_parameter_functions(conn) if role]
        assert functions, "no function with a numeric parameter found: is the plan deployed?"
        missing = [sig for sig, n, _ in functions if len(CALLS.get(sig, [])) != n]
        assert missing == [], f"give CALLS one call per numeric/float parameter of: {missing}"
        bad = []
        for sig, _, role in functions:
            for call in CALLS[sig]:
                for value in NON_FINITE:
                    statement = call.format(v=f"'{value}'")
                    try:
                        with conn.transaction(force_rollback=True):
                            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                            conn.execute(statement)
                        bad.append(f"{statement} as {role}: accepted")
                    except psycopg.errors.InvalidParameterValue as exc:
                        if value not in str(exc):
                            bad.append(f"{statement} as {role}: the error does not name {value}: {exc}")
                    except psycopg.Error as exc:
                        bad.append(f"{statement} as {role}: {exc.sqlstate} {str(exc).splitlines()[0]}")
    assert not bad, "numeric parameters must be refused with 22023 naming the value:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("literal", ["[NaN,1]", "[1,Infinity]", "[-Infinity,1]"])
@pytest.mark.parametrize("type_", ["vector", "halfvec"])
def test_pgvector_refuses_non_finite_elements_itself(db_url: str, literal: str, type_: str):
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.DataError):
        conn.execute(sql.SQL("select {}::" + type_).format(sql.Literal(literal)))
