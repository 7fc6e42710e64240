"""Candidate-name keys for matching names typed in Form 20 files against ECI's candidate list.

The real matching is done in SQL (pg_trgm); these keys make the easy cases exact and the hard
ones closer: case, punctuation and spacing differ between sources ("Dr. Dinesh Parmar",
"DR. DINESH PARMAR", "DR.PALVAI HARISH BABU"), and names typed from PDFs are split mid-word
("Chavda Mansukhbh ai").
"""

from __future__ import annotations

import unicodedata

# Honorifics that one source writes and another leaves out. Compared after punctuation is gone.
TITLES = frozenset(
    {"DR", "ADV", "ADVOCATE", "PROF", "SHRI", "SRI", "SMT", "KUM", "KUMARI", "MR", "MRS", "MS"}
)


def normalise_name(name: str, *, drop_titles: bool = False) -> str:
    """Upper case, every punctuation mark a space, spaces collapsed; 'Dr.X', 'DR. X', 'dr x' -> 'DR X'.

    Letters and digits of any script are kept (NFKC-normalised). With drop_titles, leading
    honorifics (TITLES: DR, SHRI, SMT, ...) are removed, as long as a word remains.
    """
    text = unicodedata.normalize("NFKC", name).upper()
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    words = cleaned.split()
    if drop_titles:
        while len(words) > 1 and words[0] in TITLES:
            words.pop(0)
    return " ".join(words)


def name_key(name: str, *, drop_titles: bool = False) -> str:
    """normalise_name with every space removed, so that 'Mansukhbh ai' and 'MANSUKHBHAI' agree."""
    return normalise_name(name, drop_titles=drop_titles).replace(" ", "")
