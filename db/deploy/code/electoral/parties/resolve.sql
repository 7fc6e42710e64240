-- Deploy lokdarpan:code/electoral/parties/resolve to pg
-- requires: electoral/parties
-- party_resolve(): the party_id any spelling of a party names.

create or replace function public.party_resolve(p_name text)
returns integer
language plpgsql
stable
parallel safe
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    found_id integer;
begin
    if length(p_name) > 200 then
        raise exception 'party_resolve: the name is % characters long; at most 200', length(p_name)
            using errcode = '22023';
    end if;
    select pa.party_id into found_id from public.party_alias as pa where pa.alias = public.party_normalise(p_name);
    return found_id;
end
$$;

comment on function public.party_resolve(text) is
'The party_id a spelling names (full name, former name, abbreviation, ECI code, any case and '
'punctuation), or null when no alias matches; raises 22023 for a name over 200 characters.';

revoke execute on function public.party_resolve(text) from public;

grant execute on function public.party_resolve(text) to lokdarpan_readonly;
