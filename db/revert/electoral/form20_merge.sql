-- Revert lokdarpan:electoral/form20_merge from pg

drop trigger result_ps_cascade_station_result_truncate on public.polling_station_result;
drop trigger result_ps_cascade_station_result_update on public.polling_station_result;
drop trigger result_ps_cascade_station_result_delete on public.polling_station_result;
drop function public.result_ps_cascade_station_result();
drop trigger result_ps_referenced_party_update on public.party;
drop trigger result_ps_referenced_party_delete on public.party;
drop function public.result_ps_referenced_party();
drop trigger result_ps_check_references_update on public.result_ps;
drop trigger result_ps_check_references_insert on public.result_ps;
drop function public.result_ps_check_references();
-- The foreign keys as electoral/results made them (validated: the triggers kept the rows true).
alter table public.result_ps add constraint fk_result_ps_party foreign key (party_id)
references public.party (party_id);
alter table public.result_ps add constraint fk_result_ps_station_result foreign key (
    election_id, polling_station_id
) references public.polling_station_result (election_id, polling_station_id) on delete cascade;
