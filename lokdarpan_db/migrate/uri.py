"""The plan's `%uri`, canonicalised the way Perl's URI module does it for Sqitch.

A change id hashes `uri <canonical URI>`, so `https://Example.com:443/x` and
`https://example.com/x` must give the same id, as they do in Sqitch. This ports what
``URI->new($uri)->canonical`` (URI 5.x, Debian 12) does for the schemes a project URI uses:

- ``URI->new``: strip ``<URL:…>`` / ``"…"`` wrappers and surrounding white space, percent-encode
  characters outside RFC 2396's ``uric`` set (UTF-8 bytes, upper-case hex), IDNA-encode a non-ASCII
  host of a server scheme;
- ``canonical``: lower-case the scheme, decode percent-escapes of unreserved characters and
  upper-case the others; for server schemes (http, https, ftp, ssh, …) lower-case the host and drop
  an empty or default port; for http-like schemes an empty path becomes ``/``; for ``urn:`` the
  namespace id is lower-cased.

Other schemes (``file:``, ``ldap:``, ``db:`` …) get only the generic steps; see docs/deploying.md.
"""

from __future__ import annotations

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
    return _new(uri)


def _escape_char(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def _scheme_of(uri: str) -> str | None:
    m = re.match(rf"({_SCHEME}):", uri)
    return m.group(1).lower() if m else None


def _new(uri: str) -> str:
    """URI->new: unwrap, trim and escape."""
    m = re.fullmatch(r"<(?:URL:)?(.*)>", uri, flags=re.S)
    if m:
        uri = m.group(1)
    m = re.fullmatch(r'"(.*)"', uri, flags=re.S)
    if m:
        uri = m.group(1)
    uri = re.sub(rf"^[{_PERL_SPACE}]+", "", uri)
    uri = re.sub(rf"[{_PERL_SPACE}]+$", "", uri)
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
            if _NOT_URIC4HOST.search(host):
                try:
                    host = ".".join(
                        label.encode("idna").decode("ascii") if label else label
                        for label in host.split(".")
                    )
                    uri = f"{prefix}//{ui}{host}{port}{rest}"
                except UnicodeError:
                    pass
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


def canonical(uri: str) -> str:
    """What Sqitch writes after `uri ` in a change's or tag's info (Perl URI's canonical form)."""
    uri = _new(uri)
    scheme = _scheme_of(uri)
    if scheme is not None and uri[: len(scheme)] != scheme:
        uri = scheme + uri[len(scheme):]
    if re.search(r"%[a-fA-F0-9]{2}", uri):
        def fix(m: re.Match[str]) -> str:
            ch = chr(int(m.group(1), 16))
            return ch if _UNRESERVED_RE.fullmatch(ch) else "%" + m.group(1).upper()

        uri = re.sub(r"%([0-9a-fA-F]{2})", fix, uri)
    if scheme in SERVER_SCHEMES:
        uri = _canonical_server(uri, SERVER_SCHEMES[scheme], scheme in HTTP_LIKE)
    elif scheme == "urn":
        m = re.fullmatch(r"(urn:)([^:]*)(.*)", uri, flags=re.S | re.I)
        if m and re.search(r"[A-Z]", m.group(2)) and "%" not in m.group(2):
            uri = m.group(1) + m.group(2).lower() + m.group(3)
    return uri


def _canonical_server(uri: str, default_port: int | None, http_like: bool) -> str:
    prefix, authority, path, query, frag = _split(uri)
    if authority is not None:
        host = re.sub(r".*@", "", authority, flags=re.S)
        host = re.sub(r":\d+$", "", host)
        host = _unescape(re.sub(r"^\[(.*)\]$", r"\1", host, flags=re.S))
        pm = re.search(r":(\d*)$", authority)
        port = pm.group(1) if pm else None
        uc_host = re.search(r"[A-Z]", host) is not None
        def_port = port is not None and (
            port == "" or (default_port is not None and int(port) == default_port)
        )
        if uc_host:
            um = re.match(r"(.*@)", authority, flags=re.S)
            ui = um.group(1) if um else ""
            pm2 = re.search(r"(:\d+)$", authority)
            keep_port = pm2.group(1) if pm2 else ""
            new = host.lower().replace("@", "%40")
            hm = re.search(r"(:\d*)\Z", new) if (
                re.fullmatch(r"[^:]*:\d*", new) or re.search(r"\]:\d*\Z", new)) else None
            if hm:
                keep_port = hm.group(1)
                new = new[: hm.start()]
            if ":" in new and not new.startswith("["):
                new = f"[{new}]"
            authority = f"{ui}{new}{keep_port}"
        if def_port:
            authority = re.sub(r":\d*$", "", authority)
    if http_like and authority is not None and path == "" and query is None:
        path = "/"
    return _join(prefix, authority, path, query, frag)
