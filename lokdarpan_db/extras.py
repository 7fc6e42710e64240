"""Which optional dependencies (pyproject.toml's extras) the verbs need: said once, here.

`pip install lokdarpan-db` is enough to deploy, import, refresh and check. Encrypted backups and
field-encryption keys need more; without it those verbs say which extra to install, one line, exit 3
(cli/optional.py puts the stand-ins in the command line), never a ModuleNotFoundError traceback.
"""

from __future__ import annotations

from .errors import CannotRunError

# verb -> the extra that installs what it needs (the names of [project.optional-dependencies])
EXTRA_OF_VERB: dict[str, str] = {"backup": "backup", "pitr": "backup", "keys": "keys"}
# top-level module -> the extra that installs it
EXTRA_OF_MODULE: dict[str, str] = {
    "cryptography": "backup",
    "boto3": "backup",
    "botocore": "backup",
    "zstandard": "backup",
}


class MissingExtraError(CannotRunError):
    """A verb needs an optional dependency that is not installed (exit 3)."""

    def __init__(self, verb: str, extra: str, module: str):
        super().__init__(f"{verb} needs the '{extra}' extra: pip install 'lokdarpan-db[{extra}]' "
                         f"({module} is not installed)")
        self.verb, self.extra, self.module = verb, extra, module


def is_optional(exc: ModuleNotFoundError) -> bool:
    """Whether a failed import is one of the extras' modules (anything else is a real bug)."""
    return (exc.name or "").split(".")[0] in EXTRA_OF_MODULE


def missing(verb: str, exc: ModuleNotFoundError) -> MissingExtraError:
    module = (exc.name or "?").split(".")[0]
    extra = EXTRA_OF_VERB.get(verb) or EXTRA_OF_MODULE.get(module, "dev")
    return MissingExtraError(verb, extra, module)
