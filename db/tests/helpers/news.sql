-- pgTAP helpers: the search suites' volume corpus. tap_search_volume() replaces every post by 3,000
-- posts (three to each timestamp, so the window's and the slices' edges fall between equal times;
-- common, rare, old-only, phrase, multi-word and ward-limited terms) and makes the temporary table
-- expected_search: for 17 term/ward/limit cases, the ids ranking every match gives.
-- tap_search_exact() counts the cases search_posts() answers exactly (17 when all are right).

create or replace function public.tap_search_volume()
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    execute $corpus$
    delete from post;
    insert into post (id, text, city, emotion, party, created_at)
    select
        i,
        case
            when i > 2940 then 'Cholera cases reported near the market'
            when i % 97 = 0 then 'Dengue cases rise near the market'
            when i % 5 = 0 then 'Water supply cut again'
            when i % 7 = 0 then 'Kukatpally traffic jam'
            else 'Roads are broken'
        end || case when i % 11 = 0 then ' and water is contaminated' else '' end as text,
        (array['Jubilee Hills', 'Kukatpally', 'Banjara Hills', 'Khairatabad', 'Hyderabad'])[1 + i % 5] as city,
        (array['negative', 'neutral', 'positive', 'mixed'])[1 + i % 4] as emotion,
        (array['BJP', 'INC', 'BRS', 'AIMIM', null])[1 + i % 5] as party,
        '2025-08-01 10:00+05:30'::timestamptz - (i / 3) * interval '21 minutes' as created_at
    from generate_series(1, 3000) as i;
    select setval(pg_get_serial_sequence('post', 'id'), 3000);
    create temporary table expected_search on commit drop as
    select
        t.term,
        t.ward,
        t.n,
        array_agg(r.id order by r.ord) as ids
    from (
        values
        ('water', null, 50), ('water', 'Kukatpally', 50), ('dengue', null, 20), ('dengue', 'GHMC-121', 5),
        ('kukatpally', null, 50), ('kukatpally', 'Kukatpally', 100), ('water supply', null, 500),
        ('negative', null, 10), ('inc', 'Kukatpally', 30), ('contaminated', 'Banjara Hills', 50),
        ('cholera', null, 50), ('"water supply"', null, 50), ('contaminated kukatpally', null, 50),
        ('dengue', null, 500), ('water', null, 500), ('contaminated', null, 1), ('cholera market', 'Kukatpally', 3)
    ) as t (term, ward, n)
    cross join
        lateral (
            select
                p.id,
                row_number() over (
                    order by
                        case
                            when p.search_vector @@ tsquery_restrict_weights(q, 'A') then 1.0
                            when p.search_vector @@ tsquery_restrict_weights(q, 'AB') then 0.4
                            else 0.2
                        end desc,
                        p.created_at desc,
                        p.id desc
                ) as ord
            from post as p, websearch_to_tsquery('english', t.term) as q
            where p.search_vector @@ q and (t.ward is null or p.ward_id = ward_resolve(t.ward))
            order by ord
            limit t.n
        ) as r
    group by t.term, t.ward, t.n;
    $corpus$;
end
$fn$;

comment on function public.tap_search_volume() is
'pgTAP helper: 3,000 posts for the search suites and the temporary table expected_search (17 cases '
'ranked by every match).';

create or replace function public.tap_search_exact()
returns integer
language plpgsql
volatile
security invoker
set search_path = pg_catalog, public, pg_temp
as $fn$
begin
    -- plpgsql: the temporary table is made by tap_search_volume(), after this helper is installed
    return (
        select count(*)::integer from pg_temp.expected_search as e
        where e.ids = array(select s.id from public.search_posts(e.term, e.ward, e.n) as s)
    );
end
$fn$;

comment on function public.tap_search_exact() is
'pgTAP helper: how many of expected_search''s cases search_posts() answers exactly.';
