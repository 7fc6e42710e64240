"""Sqitch's plan-file grammar as Python regular expressions (App::Sqitch 1.3, Plan.pm).

The patterns are transcriptions of Sqitch's Perl ones, so that a line either tool accepts means
the same to both and a line Sqitch refuses is refused here. Where Perl and Python's `re` differ:

- Perl's ``[[:blank:]]`` (horizontal white space) is spelled out as ``BLANK``;
- Perl's ``\\b`` counts letters, marks, decimal digits and connector punctuation of any script as
  word characters, Python's ``\\b`` does not count combining marks (Telugu vowel signs, say); the
  name pattern is therefore built per plan text with an explicit class of the word characters the
  text contains (``name_pattern``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from functools import lru_cache

BLANK_CHARS = "\t \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
BLANK = f"[{BLANK_CHARS}]"
# Like [:punct:] but without '_' (Sqitch's $punct), escaped for use inside a character class.
PUNCT = r"""\-!"#$%&'()*+,./:;<=>?@\[\\\]^`{|}~"""
PERL_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
RESERVED_NAMES = frozenset({"HEAD", "ROOT"})
SHA1_PREFIX = re.compile(r"[0-9a-f]{40}")

# Sqitch's [[:digit:]] matches any Unicode decimal digit, as Python's \d does; DateTime then
# refuses the non-ASCII ones (timestamp_problem), so `２０２６-…` is a refused plan line in both.
TIMESTAMP = (r"(?P<yr>\d{4})-(?P<mo>\d{2})-(?P<dy>\d{2})"
             r"T(?P<hr>\d{2}):(?P<mi>\d{2}):(?P<sc>\d{2})Z")
TIMESTAMP_RE = re.compile(TIMESTAMP)
PLANNER = rf"(?P<planner_name>[^<]+){BLANK}+<(?P<planner_email>[^>]+)>"

BLANK_LINE = re.compile(rf"(?P<lspace>{BLANK}*)(?:#{BLANK}*(?P<note>.+)|$)")
NOTE = re.compile(rf"(?P<rspace>{BLANK}*)(?:#{BLANK}*(?P<note>.*))?$")
IS_TAG = re.compile(rf"{BLANK}*@")
PRAGMA = re.compile(
    rf"""(?P<lspace>{BLANK}*)?%(?P<hspace>{BLANK}*)?
    (?P<name>[^{PUNCT}](?:[^{BLANK_CHARS}=]*?[^{PUNCT}{BLANK_CHARS}])?)
    (?:(?P<lopspace>{BLANK}*)(?P<operator>=)(?P<ropspace>{BLANK}*)(?P<value>.+))?\Z""",
    re.X,
)
# A change key's symbolic offset: `@HEAD^`, `@HEAD^^`, `@HEAD^3`, `@ROOT~`, `name~2`.
# (ASCII digits only: Perl's \d would take `^٢`, then count it as 0, so `@HEAD^٢` meant `@HEAD`.)
OFFSET = re.compile(rf"(?<![{PUNCT}])([~^])(?:(\1)|([0-9]+))?\Z")


def perl_true(value: str | None) -> bool:
    """Perl's truth of a string: undef, "" and "0" are false."""
    return value not in (None, "", "0")


def is_perl_word(ch: str) -> bool:
    """Perl's Unicode \\w: alphabetic, marks, decimal digits, connector punctuation, joiners."""
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat in ("Nd", "Nl", "Pc") or ch in "\u200c\u200d"


def _word_class(text: str) -> str:
    extra = sorted({c for c in text if ord(c) > 127 and is_perl_word(c)})
    return "[0-9A-Za-z_" + "".join(re.escape(c) for c in extra) + "]"


@lru_cache(maxsize=32)
def _patterns(word: str) -> tuple[str, re.Pattern[str], re.Pattern[str]]:
    boundary = f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
    name = (rf"(?![{PUNCT}])(?:(?![~/=%^]\d+(?:$|{BLANK}))[^{BLANK_CHARS}:@#\\])+"
            rf"(?<![{PUNCT}]){boundary}")
    line = re.compile(
        rf"""^(?P<lspace>{BLANK}*)?
        (?:@|(?P<lopspace>{BLANK}*)(?P<operator>[+-])(?P<ropspace>{BLANK}*))?
        (?P<name>{name})(?P<pspace>{BLANK}+)?
        (?:\[(?P<dependencies>[^\]]+)\]{BLANK}*)?
        (?:{TIMESTAMP}{BLANK}*)?
        (?:{PLANNER})?$""",
        re.X,
    )
    depend = re.compile(
        rf"""\A(?P<conflicts>!?)(?:(?P<project>{name}):)?
        (?:(?P<id>[0-9a-f]{{40}})|(?P<change>{name})(?:@(?P<tag>{name}))?|(?:@(?P<tag2>{name}))?)\Z""",
        re.X,
    )
    return name, line, depend


class Grammar:
    """The patterns for one plan text (the word-character class depends on its characters)."""

    def __init__(self, text: str):
        self.name, self.line, self.depend = _patterns(_word_class(text))
        self.name_re = re.compile(rf"\A{self.name}\Z")

    def is_name(self, text: str) -> bool:
        return bool(self.name_re.match(text))


def grammar_for(text: str) -> Grammar:
    return Grammar(text)


# Leap seconds DateTime accepts (23:59:60 UTC on these days), as of DateTime 1.59.
LEAP_SECOND_DAYS = frozenset({
    (1972, 6, 30), (1972, 12, 31), (1973, 12, 31), (1974, 12, 31), (1975, 12, 31), (1976, 12, 31),
    (1977, 12, 31), (1978, 12, 31), (1979, 12, 31), (1981, 6, 30), (1982, 6, 30), (1983, 6, 30),
    (1985, 6, 30), (1987, 12, 31), (1989, 12, 31), (1990, 12, 31), (1992, 6, 30), (1993, 6, 30),
    (1994, 6, 30), (1995, 12, 31), (1997, 6, 30), (1998, 12, 31), (2005, 12, 31), (2008, 12, 31),
    (2012, 6, 30), (2015, 6, 30), (2016, 12, 31),
})


def timestamp_problem(m: re.Match[str]) -> str | None:
    """Why DateTime->new would refuse the matched timestamp, or None when it is a real instant."""
    for key, label in (("yr", "year"), ("mo", "month"), ("dy", "day"), ("hr", "hour"),
                       ("mi", "minute"), ("sc", "second")):
        if not m.group(key).isascii():
            return f"the {label} {m.group(key)} is not written with the ASCII digits 0-9"
    yr, mo, dy, hr, mi, sc = (int(m.group(k)) for k in ("yr", "mo", "dy", "hr", "mi", "sc"))
    if not 1 <= mo <= 12:
        return f"month {mo:02d} does not exist"
    if not 1 <= dy <= 31:
        return f"day {dy:02d} does not exist"
    if hr > 23:
        return f"hour {hr:02d} does not exist"
    if mi > 59:
        return f"minute {mi:02d} does not exist"
    if sc > 61:
        return f"second {sc:02d} does not exist"
    # Proleptic Gregorian calendar, year 0 included (it is a leap year).
    days = calendar.monthrange(yr if yr else 2000, mo)[1]
    if dy > days:
        return f"{calendar.month_name[mo]} {yr:04d} has no day {dy}"
    if sc >= 60 and not (sc == 60 and hr == 23 and mi == 59 and (yr, mo, dy) in LEAP_SECOND_DAYS):
        return f"second {sc} is not a leap second"
    return None
