-- Deploy lokdarpan:electoral/results_merge to pg
-- requires: electoral/constituencies
-- requires: code/electoral/constituencies/names
-- The constituency-results import, set-based in the database (issue 21, parts 2 and 4): its one
-- table, constituency_alias. The importer parses a results file and COPYs its rows into the
-- session's staging table; constituency_result_merge() (code/electoral/results_merge/merge)
-- resolves constituencies (by number, or by name with pg_trgm and these aliases) and parties, checks
-- keys, upserts and reports the rows inserted, updated, unchanged and removed.

create table public.constituency_alias (
    state_code varchar(3) not null
    constraint chk_constituency_alias_state_code check (state_code ~ '^[SU][0-9]{2}$'),
    kind varchar(2) not null
    constraint chk_constituency_alias_kind check (kind in ('AC', 'PC')),
    number integer not null
    constraint chk_constituency_alias_number check (number between 1 and 999),
    alias varchar(120) not null
    constraint chk_constituency_alias_alias check (alias = btrim(alias) and alias ~ '[A-Za-z]'),
    alias_key text generated always as (public.constituency_name_key(alias)) stored,
    note text not null
    constraint chk_constituency_alias_note check (btrim(note) <> ''),
    constraint constituency_alias_pkey primary key (state_code, kind, alias_key)
);

comment on table public.constituency_alias is
'Other names of a constituency that no spelling rule reaches (Bhuvanagiri is ECI''s Bhongir): a results '
'file matched by name resolves an alias exactly. Keyed by state, kind and ECI number, so an alias can be '
'recorded before the constituencies are imported.';
comment on column public.constituency_alias.state_code is 'ECI state code (S29 = Telangana).';
comment on column public.constituency_alias.kind is 'AC or PC.';
comment on column public.constituency_alias.number is 'ECI''s number of the constituency the alias names.';
comment on column public.constituency_alias.alias is 'The other name, as written.';
comment on column public.constituency_alias.alias_key is 'constituency_name_key(alias): the form names are compared in.';
comment on column public.constituency_alias.note is 'Why the alias is right (its source).';

insert into public.constituency_alias (state_code, kind, number, alias, note) values
(
    'S29', 'PC', 14, 'Bhuvanagiri',
    'Bhuvanagiri is the Telugu name of Bhongir (ECI: BHONGIR); the Telangana government and newspapers use it'
),
(
    'S29', 'AC', 94, 'Bhuvanagiri',
    'Bhuvanagiri is the Telugu name of Bhongir (ECI: Bhongir); the Telangana government and newspapers use it'
);
