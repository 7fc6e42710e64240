-- Deploy lokdarpan:code/electoral/constituencies/triggers to pg
-- requires: electoral/constituencies
-- constituency_check_pc: an AC's pc_id names a PC of the same state.

create or replace function public.constituency_check_pc()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
    pc public.constituency;
begin
    if new.pc_id is not null then
        select * into pc from public.constituency as c where c.constituency_id = new.pc_id;
        if pc.kind <> 'PC' or pc.state_code <> new.state_code then
            raise exception 'constituency % (% %): pc_id % is % % of state %, not a PC of state %',
                new.name, new.kind, new.number, new.pc_id, pc.kind, pc.number, pc.state_code, new.state_code
                using errcode = 'check_violation', constraint = 'fk_constituency_pc';
        end if;
    end if;
    return new;
end
$$;

comment on function public.constituency_check_pc() is
'BEFORE INSERT OR UPDATE trigger on constituency: an AC''s pc_id must name a PC of the same state (23514).';

drop trigger if exists constituency_check_pc on public.constituency;
create trigger constituency_check_pc
before insert or update of pc_id, state_code on public.constituency
for each row execute function public.constituency_check_pc();

revoke execute on function public.constituency_check_pc() from public;
