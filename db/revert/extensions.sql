-- Revert lokdarpan:extensions from pg

drop extension if exists pg_stat_statements;
drop extension if exists pg_trgm;
drop extension if exists vector;
