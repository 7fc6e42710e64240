-- pgTAP helpers: stand-ins for what the application stores in "user".email and "user".email_index.
--   tap_fernet_token(text)  a string with a Fernet token's exact shape (version 0x80, timestamp, IV,
--                           whole 16-byte blocks, 32-byte MAC; urlsafe base64). Not decryptable: the
--                           database never holds a key, so its tests need only the shape. Python
--                           tests use lokdarpan_db.fieldcrypt for real tokens.
--   tap_email_index(text)   32 bytes standing for the blind index (unkeyed sha256 of the lower-cased
--                           address; the real one is an HMAC the application computes).
create or replace function public.tap_fernet_token(p_text text)
returns text
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select translate(encode(
        '\x80'::bytea || '\x0000000069000000'::bytea || substring(sha256(convert_to(p_text, 'UTF8')) from 1 for 16)
        || substring(
            decode(repeat(encode(sha256(convert_to('c' || p_text, 'UTF8')), 'hex'), 40), 'hex')
            from 1 for (octet_length(convert_to(p_text, 'UTF8')) / 16 + 1) * 16
        )
        || sha256(convert_to('m' || p_text, 'UTF8')),
        'base64'
    ), e'+/\n', '-_')
$$;

create or replace function public.tap_email_index(p_address text)
returns bytea
language sql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $$
    select sha256(convert_to(lower(btrim(p_address)), 'UTF8'))
$$;

comment on function public.tap_fernet_token(text) is
'pgTAP helper: a well-shaped, undecryptable Fernet token standing for an encrypted value.';
comment on function public.tap_email_index(text) is
'pgTAP helper: 32 bytes standing for the blind index of an address (sha256 of the lower-cased address).';
