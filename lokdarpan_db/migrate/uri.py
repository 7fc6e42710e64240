"""The plan's `%uri`, canonicalised the way Perl's URI module does it for Sqitch.

A change id hashes `uri <canonical URI>`, so `https://Example.com:443/x` and
`https://example.com/x` must give the same id, as they do in Sqitch. This ports what
``URI->new($uri)->canonical`` (URI 5.x, Debian 12) does for the schemes a project URI uses:

- ``URI->new``: strip ``<URL:…>`` / ``"…"`` wrappers and surrounding white space, percent-encode
  characters outside RFC 2396's ``uric`` set (UTF-8 bytes, upper-case hex), IDNA-encode a non-ASCII
  host of a server scheme (URI::_idna: its "nameprep" is only lc, so ``ß`` stays ``ß``);
- ``canonical``: lower-case the scheme, decode percent-escapes of unreserved characters and
  upper-case the others; for server schemes (http, https, ftp, ssh, …) lower-case the host (an
  A-Z host goes through URI's host and authority setters again: brackets, IDNA, escaping of a Perl
  byte string) and drop an empty or default port; for http-like schemes an empty path becomes
  ``/``; for ``urn:`` the namespace id is lower-cased.

URI::db (installed with Sqitch) adds two steps that matter for a database project's URI:

- a database scheme's canonical form uses its engine's canonical name (``_DB_ENGINES``):
  ``postgresql://H:5432/db`` and ``postgres://H/db`` both become ``pg://h/db``;
- ``db:<engine URI>`` canonicalises to the nested URI's canonical form, without the ``db:``
  prefix, the nested URI treated as a database URI (``db:https://H`` → ``https://h``, no ``/``).

``file:`` URIs lose an empty or ``localhost`` authority (``file:/x`` → ``file:///x``). The LDAP
schemes (``ldap:``, ``ldaps:``, ``ldapi:``) have a canonical form of their own that is not ported:
``canonical`` refuses them (UnsupportedURI) rather than compute ids Sqitch would not.
"""

from __future__ import annotations

import ipaddress
import re

_RESERVED = ";/?:@&=+$,"
_MARK = "-_.!~*'()"
_ALNUM = "A-Za-z0-9"
_UNRESERVED_RE = re.compile(rf"[{_ALNUM}{re.escape(_MARK)}]")
_NOT_URIC = re.compile(rf"[^{re.escape(_RESERVED)}{_ALNUM}{re.escape(_MARK)}%#]")
_NOT_URIC4HOST = re.compile(rf"[^{re.escape(_RESERVED)}{_ALNUM}{re.escape(_MARK)}%\[\]]")
_SCHEME = r"[a-zA-Z][a-zA-Z0-9.+\-]*"
_PERL_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Schemes whose URI class derives from URI::_server, with their default ports (None: no default).
SERVER_SCHEMES: dict[str, int | None] = {
    "cassandra": 9160, "cockroach": 26257, "cockroachdb": 26257, "couch": 5984, "couchdb": 5984,
    "cubrid": 33000, "db2": 50000, "derby": 1527, "exasol": 8563, "firebird": 3050, "ftp": 21,
    "gopher": 70, "hive": 10000, "http": 80, "https": 443, "impala": 21000, "informix": 1526,
    "ingres": 1524, "interbase": 3050, "ldap": 389, "ldapdb": None, "ldaps": 636, "maria": 3306,
    "mariadb": 3306, "max": 7673, "maxdb": 7673, "mms": 1755, "monet": 50000, "monetdb": 50000,
    "mongo": 27017, "mongodb": 27017, "mssql": 1433, "mysql": 3306, "news": 119, "nntp": 119,
    "nntps": 563, "oracle": 1521, "pg": 5432, "pgsql": 5432, "pgxc": 5432, "pop": 110,
    "postgres": 5432, "postgresql": 5432, "postgresxc": 5432, "redshift": 5432, "rlogin": 513,
    "rsync": 873, "rtsp": 554, "rtspu": 554, "sftp": 22, "sip": 5060, "sips": 5061, "snews": 563,
    "snowflake": 443, "sqlite": None, "sqlite3": None, "sqlserver": 1433, "ssh": 22,
    "sybase": 2638, "telnet": 23, "teradata": 1025, "tn3270": 23, "unify": 27117,
    "vertica": 5433, "yugabyte": 5433, "yugabytedb": 5433,
}
# URI::http and its subclasses: an empty path with an authority and no query becomes "/".
HTTP_LIKE = frozenset({"http", "https", "mms", "rtsp", "rtspu"})
_NO_HOST_PART = frozenset({"data", "ldapi", "urn", "sqlite", "sqlite3"})


def registered(uri: str) -> str:
    """The URI as Sqitch stores it in sqitch.projects (URI->new's string: escaped, not canonical)."""
    return _new_any(uri)


def _escape_char(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def _scheme_of(uri: str) -> str | None:
    m = re.match(rf"({_SCHEME}):", uri)
    return m.group(1).lower() if m else None


def _new(uri: str) -> str:
    """URI->new: unwrap, trim and escape."""
    uri = _unwrap(uri)
    scheme = _scheme_of(uri)
    if scheme in SERVER_SCHEMES:
        m = re.fullmatch(rf"((?:{_SCHEME}:)?)//([^/?#]*)(.*)", uri, flags=re.S)
        if m:
            prefix, host, rest = m.groups()
            ui_m = re.match(r"(.*@)", host, flags=re.S)
            ui = ui_m.group(1) if ui_m else ""
            host = host[len(ui):]
            port_m = re.search(r"(:\d+)\Z", host)
            port = port_m.group(1) if port_m else ""
            host = host[: len(host) - len(port)]
            escaped = _host_escape(host)
            if escaped is not None:
                uri = f"{prefix}//{ui}{escaped}{port}{rest}"
    uri = _NOT_URIC.sub(lambda mm: _escape_char(mm.group(0)), uri)
    return _fix_host_brackets(uri)


def _fix_host_brackets(uri: str) -> str:
    """URI 5.11+ escapes '[' and ']' everywhere, then restores them in the host part."""
    if "%" not in uri or re.match(r"(?:data|ldapi|urn|sqlite|sqlite3):", uri):
        return uri
    if re.match(r"mailto:", uri):
        return re.sub(r"%5D", "]", re.sub(r"%5B", "[", uri, flags=re.I), flags=re.I)
    m = re.fullmatch(rf"((?:{_SCHEME}:)?)//([^/?#]+)(.*)", uri, flags=re.S)
    if not m:
        return uri
    orig = m.group(2)
    um = re.fullmatch(r"(.*@)?([^@]*)", orig, flags=re.S)
    if not um:
        return uri
    user, host = um.group(1) or "", um.group(2)
    pm = re.search(r"(:\d+)$", host)
    port = pm.group(1) if pm else ""
    if pm:
        host = host[: pm.start()]
    host = re.sub(r"%5D", "]", re.sub(r"%5B", "[", host, flags=re.I), flags=re.I)
    return uri.replace(orig, f"{user}{host}{port}", 1)


def _split(uri: str) -> tuple[str, str | None, str, str | None, str | None]:
    """scheme-prefix, authority, path, query, fragment (None when absent)."""
    frag = None
    if "#" in uri:
        uri, frag = uri.split("#", 1)
    m = re.fullmatch(rf"((?:{_SCHEME}:)?)(?://([^/?#]*))?([^?]*)(?:\?(.*))?", uri, flags=re.S)
    assert m is not None
    return m.group(1), m.group(2), m.group(3), m.group(4), frag


def _join(prefix: str, authority: str | None, path: str, query: str | None, frag: str | None) -> str:
    out = prefix
    if authority is not None:
        out += "//" + authority
    out += path
    if query is not None:
        out += "?" + query
    if frag is not None:
        out += "#" + frag
    return out


def _unescape(text: str) -> str:
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


class UnsupportedURI(ValueError):
    """A URI whose scheme has a canonical form this port does not implement (LDAP)."""


# URI::db's database schemes (classes deriving from URI::_db) whose canonical_engine differs
# from the scheme; every other database scheme in SERVER_SCHEMES is its own engine name.
_DB_ENGINES: dict[str, str] = {
    "cockroachdb": "cockroach", "couch": "couchdb", "maria": "mysql", "mariadb": "mysql",
    "max": "maxdb", "monet": "monetdb", "mongo": "mongodb", "pgsql": "pg", "pgxc": "pg",
    "postgres": "pg", "postgresql": "pg", "postgresxc": "pg", "redshift": "pg",
    "sqlite3": "sqlite", "sqlserver": "mssql", "yugabyte": "pg", "yugabytedb": "pg",
}
# Schemes of URI::db's classes (URI::_db and its subclasses).
DB_SCHEMES = frozenset({
    "cassandra", "cockroach", "cockroachdb", "couch", "couchdb", "cubrid", "db2", "derby",
    "exasol", "firebird", "hive", "impala", "informix", "ingres", "interbase", "ldapdb", "maria",
    "mariadb", "max", "maxdb", "monet", "monetdb", "mongo", "mongodb", "mssql", "mysql", "oracle",
    "pg", "pgsql", "pgxc", "postgres", "postgresql", "postgresxc", "redshift", "snowflake",
    "sqlite", "sqlite3", "sqlserver", "sybase", "teradata", "unify", "vertica", "yugabyte",
    "yugabytedb",
})
_LDAP_SCHEMES = frozenset({"ldap", "ldaps", "ldapi"})


def is_true(uri: str) -> bool:
    """Perl's truth of Sqitch's URI object (its string, after URI->new): whether a change's and
    a tag's info carry a `uri` line at all."""
    return _new_any(uri) not in ("", "0")


def _nested_db(uri: str) -> tuple[str, str] | None:
    """URI::db: the `db:` prefix as written and the nested URI's text, or None."""
    m = re.fullmatch(r"(db):(.*)", uri, flags=re.S | re.I)
    return (m.group(1), m.group(2)) if m else None


def _unwrap(uri: str) -> str:
    m = re.fullmatch(r"<(?:URL:)?(.*)>", uri, flags=re.S)
    if m:
        uri = m.group(1)
    m = re.fullmatch(r'"(.*)"', uri, flags=re.S)
    if m:
        uri = m.group(1)
    uri = re.sub(rf"^[{_PERL_SPACE}]+", "", uri)
    return re.sub(rf"[{_PERL_SPACE}]+$", "", uri)


def _new_any(uri: str) -> str:
    """URI->new's string, URI::db's nested form (`db:` + the nested URI) included."""
    nested = _nested_db(_unwrap(uri))
    if nested is not None:
        return f"{nested[0]}:{_new(nested[1])}"
    return _new(uri)


def canonical(uri: str) -> str:
    """What Sqitch writes after `uri ` in a change's or tag's info (Perl URI's canonical form).
    Raises UnsupportedURI for the LDAP schemes."""
    nested = _nested_db(_unwrap(uri))
    if nested is not None:
        # URI::Nested->canonical is the nested URI's, blessed into URI::_db unless it is one.
        inner = _new(nested[1])
        scheme = _scheme_of(inner)
        if scheme in DB_SCHEMES:
            return _canonical(inner, scheme)
        if scheme is not None and scheme != inner[: len(scheme)]:
            # lower-casing the scheme re-blesses it out of URI::_db: Perl dies (no
            # canonical_engine method), and Sqitch with it
            raise UnsupportedURI(f"Perl's URI::db cannot canonicalise db:{inner[: len(scheme)]}: "
                                 "(write the scheme in lower case)")
        return _canonical_db(_generic_canonical(inner, scheme), scheme, None)
    uri = _new(uri)
    return _canonical(uri, _scheme_of(uri))


def _canonical(uri: str, scheme: str | None) -> str:
    if scheme in _LDAP_SCHEMES:
        raise UnsupportedURI(f"the canonical form of {scheme}: URIs (URI::ldap) is not implemented")
    if scheme == "urn":
        # URI::urn->canonical takes the namespace id (up to ':' or '#') before decoding escapes
        m = re.fullmatch(r"(urn:)([^:#]*)(.*)", _generic_canonical(uri, scheme), flags=re.S | re.I)
        nid = re.match(r"urn:([^:#]*)", uri, flags=re.I)
        assert m is not None and nid is not None
        if re.search(r"[A-Z]", nid.group(1)) and "%" not in nid.group(1):
            return m.group(1) + nid.group(1).lower() + m.group(3)
        return m.group(0)
    uri = _generic_canonical(uri, scheme)
    if scheme in DB_SCHEMES:
        return _canonical_db(uri, scheme, SERVER_SCHEMES[scheme])  # type: ignore[index]
    if scheme in SERVER_SCHEMES:
        return _canonical_server(uri, SERVER_SCHEMES[scheme], scheme in HTTP_LIKE)
    if scheme == "file":
        return _canonical_file(uri)
    return uri


def _generic_canonical(uri: str, scheme: str | None) -> str:
    """URI::canonical: lower-case scheme, unreserved escapes decoded, other escapes upper-cased."""
    if scheme is not None and uri[: len(scheme)] != scheme:
        uri = scheme + uri[len(scheme):]
    if re.search(r"%[a-fA-F0-9]{2}", uri):
        def fix(m: re.Match[str]) -> str:
            ch = chr(int(m.group(1), 16))
            return ch if _UNRESERVED_RE.fullmatch(ch) else "%" + m.group(1).upper()

        uri = re.sub(r"%([0-9a-fA-F]{2})", fix, uri)
    return uri


def _canonical_db(uri: str, scheme: str | None, default_port: int | None) -> str:
    """URI::_db->canonical: URI::_server's, then the scheme replaced by the canonical engine."""
    uri = _canonical_server(uri, default_port, False)
    if scheme is None:
        return uri
    engine = _DB_ENGINES.get(scheme, scheme)
    # ($canon->scheme($engine) re-parses the string with URI->new: its escaping runs again)
    return _new(engine + uri[len(scheme):]) if engine != scheme else uri


def _canonical_file(uri: str) -> str:
    """URI::file->canonical: an absent, empty or `localhost` authority becomes empty."""
    prefix, authority, path, query, frag = _split(uri)
    if authority is None or (authority != "" and authority.lower() == "localhost"):
        rest = _join("", None, path, query, frag)
        if rest and rest[0] not in "/?#":
            rest = "/" + rest
        return f"{prefix}//{rest}"
    return uri


def _canonical_server(uri: str, default_port: int | None, http_like: bool) -> str:
    """URI::_server->canonical (then URI::http's empty path → "/")."""
    prefix, authority, path, query, frag = _split(uri)
    if authority is not None:
        host = re.sub(r".*@", "", authority, flags=re.S)
        host = re.sub(r":\d+$", "", host)
        host = _unescape(re.sub(r"^\[(.*)\]$", r"\1", host, flags=re.S))
        pm = re.search(r":(\d*)$", authority)
        port = pm.group(1) if pm else None
        # (Perl's `$port == undef`: a port of 0 is "the default" when there is none.)
        def_port = port is not None and (port == "" or int(port) == (default_port or 0))
        if re.search(r"[A-Z]", host):
            authority = _set_host(authority, _ascii_lower(host))
        if def_port:
            authority = _set_authority(re.sub(r":\d*$", "", authority))
    if http_like and authority is not None and path == "" and query is None:
        path = "/"
    return _join(prefix, authority, path, query, frag)


def _set_host(authority: str, new: str) -> str:
    """URI::_server->host($new): the new host (brackets, IDNA), the old userinfo and port."""
    um = re.match(r"(.*@)", authority)
    ui = um.group(1) if um else ""
    pm = re.search(r"(:\d+)$", authority)
    port = pm.group(1) if pm else ""
    if new:
        new = new.replace("@", "%40")
        if re.fullmatch(r"[^:]*:\d*", new) or re.search(r"\]:\d*\Z", new):
            hm = re.search(r"(:\d*)\Z", new)
            assert hm is not None
            port, new = hm.group(1), new[: hm.start()]
        if ":" in new and not new.startswith("["):
            new = f"[{new}]"
        escaped = _host_escape(new, bytes_only=True)
        new = new if escaped is None else escaped
    return _set_authority(f"{ui}{new}{port}")


def _ascii_lower(text: str) -> str:
    """Perl's lc on a byte string (URI->new downgrades its string): only A-Z change."""
    return re.sub(r"[A-Z]+", lambda m: m.group(0).lower(), text)


def _escape_byte(ch: str) -> str:
    """URI::Escape::escape_char on a downgraded string: one %XX per character (all < 256)."""
    return f"%{ord(ch):02X}" if ord(ch) < 256 else _escape_char(ch)


_NOT_ACHAR = re.compile(rf"[^{re.escape(';:@&=+$,')}{_ALNUM}{re.escape(_MARK)}%\[\]]")
_NOT_URIC4USER = re.compile(r"[^!$'()*,;:._~%\-+=&A-Za-z0-9]")


def _set_authority(auth: str) -> str:
    """URI::_generic->authority($auth): escape, escape the userinfo harder, bracket a raw IPv6."""
    auth = _NOT_ACHAR.sub(lambda m: _escape_byte(m.group(0)), auth)
    m = re.fullmatch(r"(.*@)?([^@]+)", auth)
    if m:
        user = _NOT_URIC4USER.sub(lambda mm: _escape_byte(mm.group(0)), m.group(1) or "")
        user = re.sub(r"%40$", "@", user)
        host = m.group(2)
        if _looks_like_raw_ip6(host):
            host = f"[{host}]"
        auth = user + host
    return auth


def _looks_like_raw_ip6(addr: str) -> bool:
    """URI::_generic's test, with Regexp::IPv6 (which Debian's liburi-perl pulls in)."""
    if not addr or addr.count(":") < 2 or "%" in addr:
        return False
    try:
        ipaddress.IPv6Address(addr)
    except ValueError:
        return False
    return True


def _host_escape(host: str, bytes_only: bool = False) -> str | None:
    """URI::_server::_host_escape: IDNA-encode a host with characters outside uric4host; None
    when there are none, or when URI::_idna refuses it (the host then stays as it is).
    `bytes_only`: the host is a Perl byte string (canonical's unescaped host), so lc is ASCII's."""
    if not _NOT_URIC4HOST.search(host):
        return None
    try:
        return _idna_encode(host, bytes_only)
    except ValueError:
        return None


def _idna_encode(domain: str, bytes_only: bool) -> str:
    """URI::_idna::encode: its 'nameprep' is only lc, unlike Python's idna codec (ß stays ß)."""
    labels = domain.split(".")
    last_empty = [labels.pop()] if len(labels) > 1 and labels[-1] == "" else []
    return ".".join([*(_to_ascii(label, bytes_only) for label in labels), *last_empty])


def _to_ascii(label: str, bytes_only: bool) -> str:
    if not label.isascii():
        label = _ascii_lower(label) if bytes_only else label.lower()
        if not label.isascii():
            if label.startswith("xn--"):
                raise ValueError("label starts with ACE prefix")
            label = "xn--" + label.encode("punycode").decode("ascii")
    if label == "" or len(label) > 63:
        raise ValueError("label empty or too long")
    return label
