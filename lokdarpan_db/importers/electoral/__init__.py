"""Parsers for electoral data: constituency-wise results CSVs and Form 20 polling-station files.

Parsers only: they read, check and return plain dataclasses (one field per column, ready to be
COPYed into PostgreSQL); loading is done in SQL by a later step. Every refusal is an
ElectoralFileError (a BadInputError: exit code 2) whose one-line message names the file, the line
and the reason, and whose `.problems` lists every error found. Warnings are in `.problems` of
the returned object.
"""

from ._common import ElectoralFileError, Problem
from .eci_lists import Candidate, CandidateList, Party, PartyList, read_candidates, read_parties
from .form20 import Form20File, LineNote, PollingStationRow, SummaryRow, parse_form20
from .names import name_key, normalise_name
from .results_csv import (
    FIELDS,
    CandidateResult,
    ResultsFile,
    default_mapping,
    read_mapping_file,
    read_results_csv,
)

__all__ = [
    "FIELDS",
    "Candidate",
    "CandidateList",
    "CandidateResult",
    "ElectoralFileError",
    "Form20File",
    "LineNote",
    "Party",
    "PartyList",
    "PollingStationRow",
    "Problem",
    "ResultsFile",
    "SummaryRow",
    "default_mapping",
    "name_key",
    "normalise_name",
    "parse_form20",
    "read_candidates",
    "read_mapping_file",
    "read_parties",
    "read_results_csv",
]
