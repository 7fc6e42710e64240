"""What `revert --to KEY` names: looked up among the deployed changes, as Sqitch's revert does.

`name` is the deployed instance of the change (ambiguous when several instances are deployed:
say `name@tag` or `name@HEAD`), `name@tag` the latest instance deployed no later than the tag,
`@tag` the change the tag is on, `@HEAD` / `@ROOT` the last / first deployed change, an id that
change; any of them may carry Sqitch's offsets (`^`, `^^`, `^N` earlier; `~`, `~~`, `~N` later).
"""

from __future__ import annotations

import re

import psycopg

from ..errors import BadInputError
from . import registry
from .plan import Plan, split_offset


def deployed_change_id(conn: psycopg.Connection, plan: Plan, key: str) -> str:
    """The id of the deployed change `key` names, or BadInputError saying why there is none."""
    base, offset = split_offset(key)
    name, _, tag = base.partition("@")
    project = plan.project
    if tag:
        found = registry.change_id_for(conn, project, change=name or None, tag=tag)
    elif re.fullmatch(r"[0-9a-f]{40}", name):
        found = registry.change_id_for(conn, project, change_id=name)
    elif name in ("HEAD", "ROOT"):
        found = registry.change_id_for(conn, project, tag=name)
    else:
        ids = registry.change_id_for(conn, project, change=name)
        assert isinstance(ids, list)
        if len(ids) > 1:
            known = plan.by_id()
            choices = ", ".join(known[i].tag_qualified_name if i in known else i
                                for i in reversed(ids))
            raise BadInputError(f'change "{name}" is ambiguous: {len(ids)} instances of it are '
                                f"deployed; say which: {choices}")
        found = ids[0] if ids else None
    assert not isinstance(found, list)
    if found is not None:
        found = registry.change_id_offset(conn, project, found, offset)
    if found is None:
        if plan.contains(key):
            raise BadInputError(f'"{key}" is not deployed, so there is nothing to revert to')
        raise BadInputError(f'unknown change "{key}" (not deployed, and not in {plan.path})')
    return found
