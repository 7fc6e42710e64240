"""Who is deploying, found the way Sqitch 1.3 finds it (App::Sqitch user_name / user_email), so
that `sqitch deploy` and `lokdarpan-db deploy` run in one shell record the same person.

Name:  $SQITCH_FULLNAME, then `user.name` from Sqitch's configuration, then $SQITCH_ORIG_FULLNAME,
       then the full name (GECOS) of the system user, then the system user's login name.
Email: $SQITCH_EMAIL, then `user.email` from the configuration, then $SQITCH_ORIG_EMAIL, then
       `<system user>@<host name>`.

The configuration is Sqitch's three files, later ones winning: the system file
($SQITCH_SYSTEM_CONFIG, else /etc/sqitch/sqitch.conf), the user's ($SQITCH_USER_CONFIG, else
~/.sqitch/sqitch.conf) and the project's ($SQITCH_CONFIG, else ./sqitch.conf in the current
directory). The system user is $SQITCH_ORIG_SYSUSER, else the login name, else the account of the
process, else $LOGNAME / $USER / $USERNAME.
"""

from __future__ import annotations

import os
import pwd
import re
import socket
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/sqitch/sqitch.conf")


def config_files(cwd: Path | None = None) -> list[Path]:
    """Sqitch's configuration files, lowest precedence first."""
    env = os.environ
    system = Path(env["SQITCH_SYSTEM_CONFIG"]) if env.get("SQITCH_SYSTEM_CONFIG") else SYSTEM_CONFIG
    user = (Path(env["SQITCH_USER_CONFIG"]) if env.get("SQITCH_USER_CONFIG")
            else Path.home() / ".sqitch" / "sqitch.conf")
    local = Path(env["SQITCH_CONFIG"]) if env.get("SQITCH_CONFIG") else (cwd or Path.cwd()) / "sqitch.conf"
    return [system, user, local]


def read_config(paths: list[Path]) -> dict[str, str]:
    """`section.key` -> value over the files, later files winning (missing files are skipped)."""
    values: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        values.update(parse_config(text))
    return values


_SECTION = re.compile(r'\[([^\s\[\]"]+)(?:[\t ]*"((?:[^"\\\n]|\\.)*)")?\]')
_KEY_ONLY = re.compile(r"([^\[=\n][^=\n]*?)[\t ]*(?:[#;][^\n]*)?(?=\n|\Z)")
_KEY_VALUE = re.compile(r"([^\[=\n][^=\n]*?)[\t ]*=[\t ]*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\\n|\\[tbn"\\])*)"')
_ESCAPES = {"\\n": "\n", "\\t": "\t", "\\b": "\b", '\\"': '"', "\\\\": "\\", "\\'": "'"}


def parse_config(text: str) -> dict[str, str]:
    """The git-config dialect Sqitch reads (Config::GitLike, non-compatible mode), enough for
    `[section]` / `[section "sub"]` headers, `key = value`, quotes, escapes, comments and line
    continuations. Keys are lower-cased `section.name` (a subsection keeps its case)."""
    out: dict[str, str] = {}
    section: str | None = None
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        if text[i] in "#;":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        m = _SECTION.match(text, i)
        if m:
            section = m.group(1).lower()
            if m.group(2):
                section += "." + re.sub(r'\\(["\\])', r"\1", m.group(2))
            i = m.end()
            continue
        m = _KEY_ONLY.match(text, i)
        if m and section is not None:
            out[f"{section}.{m.group(1).lower()}"] = "true"
            i = m.end()
            continue
        m = _KEY_VALUE.match(text, i)
        if not m or section is None:
            break  # unparseable: Sqitch stops with an error; we stop reading this file
        key, i = m.group(1).lower(), m.end()
        value = ""
        while i < n:
            rest = re.match(r"([ \t]*[#;][^\n]*)?(?=\n|\Z)", text[i:])
            if rest:
                i += rest.end()
                break
            ws = re.match(r"[\t ]+", text[i:])
            if ws:
                value += " "
                i += ws.end()
                continue
            if text.startswith("\\\n", i) or text.startswith("\\\r\n", i):
                i += 2 if text[i + 1] == "\n" else 3
                continue
            esc = text[i:i + 2]
            if esc in _ESCAPES:
                value += _ESCAPES[esc]
                i += 2
                continue
            q = _QUOTED.match(text, i)
            if q:
                # Config::GitLike's replacements, one after the other (so `\"` stays as is).
                v = q.group(1).replace("\\\n", "")
                for esc, char in (("\\n", "\n"), ("\\t", "\t"), ("\\b", "\b"), ("\\\\", "\\")):
                    v = v.replace(esc, char)
                value += v
                i = q.end()
                continue
            word = re.match(r'[^\t \\\n"]+', text[i:])
            if not word:
                return out
            value += word.group(0)
            i += word.end()
        out[f"{section}.{key}"] = value
    return out


def system_user() -> str | None:
    env = os.environ
    if env.get("SQITCH_ORIG_SYSUSER"):
        return env["SQITCH_ORIG_SYSUSER"]
    try:
        return os.getlogin()
    except OSError:
        pass
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        pass
    return env.get("LOGNAME") or env.get("USER") or env.get("USERNAME")


def _full_name(user: str) -> str:
    try:
        gecos = pwd.getpwnam(user).pw_gecos
    except KeyError:
        return user
    return gecos.split(",")[0] or user


def sqitch_identity(cwd: Path | None = None) -> tuple[str, str]:
    """(name, email) of the person deploying, as Sqitch would record them."""
    env = os.environ
    config = read_config(config_files(cwd))
    user = system_user() or "unknown"
    name = (env.get("SQITCH_FULLNAME") or config.get("user.name") or env.get("SQITCH_ORIG_FULLNAME")
            or _full_name(user))
    email = (env.get("SQITCH_EMAIL") or config.get("user.email") or env.get("SQITCH_ORIG_EMAIL")
             or f"{user}@{socket.gethostname()}")
    return name, email
