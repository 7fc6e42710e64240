"""Before a deploy runs anything: are the changes it needs deployed, and the ones it conflicts
with absent? (Sqitch's check_deploy_dependencies.)

A dependency on this project's change resolves to the plan's change (`gamma@v3` is the instance
of `gamma` planned before tag `@v3`, wherever that tag sits) and is satisfied when that change is
deployed or deployed earlier in the same run. A dependency on another project's change is looked
up in the registry as Sqitch does: by id, by name (its earliest deployment), by `name@tag` or `@tag`.
"""

from __future__ import annotations

import psycopg

from ..errors import DependencyError
from . import registry
from .plan import Change, Dependency, Plan


def _plan_id(plan: Plan, dep: Dependency) -> str | None:
    """Sqitch's Depend->id: the id written, or the plan's change for an internal dependency."""
    if dep.id is not None:
        return dep.id
    if not dep.is_internal(plan):
        return None
    found = plan.find(dep.key_name)
    return found.id if found else None


def _registry_id(conn: psycopg.Connection, plan: Plan, dep: Dependency, deployed: set[str]) -> str | None:
    plan_id = _plan_id(plan, dep)
    if plan_id is not None and dep.is_internal(plan):
        return plan_id if plan_id in deployed else None
    found = registry.change_id_for(conn, dep.effective_project(plan) or plan.project,
                                   change_id=plan_id, change=dep.change, tag=dep.tag, first=True)
    assert not isinstance(found, list)
    return found


def resolve_for_deploy(conn: psycopg.Connection, plan: Plan, todo: list[Change],
                       deployed: set[str]) -> dict[str, dict[str, str]]:
    """change id -> {dependency as written in the registry -> id of the change satisfying it}.
    Raises DependencyError naming every unmet requirement and every conflict, before anything runs."""
    seen: set[str] = set()
    problems: list[str] = []
    out: dict[str, dict[str, str]] = {}
    for change in todo:
        for dep in change.conflicts:
            plan_id = _plan_id(plan, dep)
            if (plan_id is not None and plan_id in seen) or _registry_id(conn, plan, dep, deployed):
                problems.append(f'"{change.name}" conflicts with "{dep.as_string(plan)}", which is deployed')
        resolved: dict[str, str] = {}
        for dep in change.requires:
            plan_id = _plan_id(plan, dep)
            found = plan_id if plan_id is not None and plan_id in seen else _registry_id(
                conn, plan, dep, deployed)
            if found is None:
                problems.append(f'"{change.name}" requires "{dep.as_string(plan)}", which is not deployed')
            else:
                resolved[dep.as_string(plan)] = found
        seen.add(change.id)
        out[change.id] = resolved
    if problems:
        raise DependencyError("cannot deploy: " + "; ".join(problems))
    return out
