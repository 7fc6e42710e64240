"""Importers: load public reference data (GHMC wards, ...) into a deployed LokDarpan database.

Each importer reads files, reports every defect it meets in words a DBA can act on, and writes in
one transaction. Bad files raise the importer's error class (a BadInputError: exit code 2).
"""

from .wards import WardImportError, WardImportReport, import_wards

__all__ = ["WardImportError", "WardImportReport", "import_wards"]
