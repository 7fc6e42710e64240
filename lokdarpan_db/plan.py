"""Read a Sqitch plan (`db/sqitch.plan`) and compute change and tag ids exactly as Sqitch does.

The plan format and the id algorithm follow App::Sqitch 1.x (Plan.pm, Plan/Change.pm,
Plan/Tag.pm): a change id is the SHA-1 of ``"change <len>\\0" + info`` where *info* lists the
project, URI, change name, parent (for reworked changes), planner, date, dependencies and note.
Keeping them identical lets Sqitch and this tool take turns on one database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import PlanError

# Sqitch's name rule: no leading punctuation, no blanks, ':', '@', '#'; no trailing punctuation.
_PUNCT = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^`{|}~"""
NAME_RE = rf"[^{_PUNCT}\s](?:[^\s:@#\\]*[^{_PUNCT}\s])?"
_NAME = re.compile(rf"\A{NAME_RE}\Z")
# Symbolic-reference punctuation followed by digits at the end (`foo^2`, `bar~1`) is not a name.
_TRAILING_DIGITS_AFTER_PUNCT = re.compile(r"[~/=%^][0-9]+\Z")

_LINE = re.compile(
    rf"""^\s*
    (?P<tag>@)?
    (?P<name>{NAME_RE})
    (?:\s*\[(?P<deps>[^\]]*)\])?
    \s+(?P<ts>\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}Z)
    \s+(?P<planner_name>[^<]+?)\s+<(?P<planner_email>[^>]+)>
    \s*(?:\#\s*(?P<note>.*))?$""",
    re.VERBOSE,
)
_PRAGMA = re.compile(r"^\s*%\s*(?P<name>[^\s=]+)\s*(?:=\s*(?P<value>.*?))?\s*(?:#.*)?$")
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", "\\r": "\r"}

NONTRANSACTIONAL_MARKER = "-- lokdarpan:no-transaction"


@dataclass(frozen=True)
class Dependency:
    """A `[requires]` or `[!conflicts]` entry, e.g. `users`, `!legacy`, `other:change@v1`."""

    conflict: bool
    project: str | None
    change: str | None
    tag: str | None

    @property
    def key_name(self) -> str:
        parts = []
        if self.change:
            parts.append(self.change)
        if self.tag:
            parts.append("@" + self.tag)
        return "".join(parts)

    def as_string(self, plan_project: str) -> str:
        if self.project is None or self.project == plan_project:
            return self.key_name
        return f"{self.project}:{self.key_name}"

    @property
    def type(self) -> str:
        return "conflict" if self.conflict else "require"


@dataclass
class PlanItem:
    """What a change line and a tag line both carry."""

    name: str
    timestamp: datetime
    planner_name: str
    planner_email: str
    note: str
    line_no: int

    def info_planner(self) -> list[str]:
        """The planner and date lines of Sqitch's info text (the input of the id hash)."""
        return [f"planner {self.planner_name} <{self.planner_email}>", f"date {_sqitch_ts(self.timestamp)}"]


@dataclass
class Tag(PlanItem):
    change: Change | None = None
    id: str = ""

    @property
    def format_name(self) -> str:
        return "@" + self.name


@dataclass
class Change(PlanItem):
    requires: list[Dependency] = field(default_factory=list)
    conflicts: list[Dependency] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    parent: Change | None = None  # the change before this one in the plan (part of the id)
    previous_instance: Change | None = None  # the earlier instance of a reworked change
    rework_tags: list[Tag] = field(default_factory=list)  # tags after this instance, if reworked
    id: str = ""
    index: int = 0

    @property
    def dependencies(self) -> list[Dependency]:
        return [*self.requires, *self.conflicts]

    @property
    def is_reworked(self) -> bool:
        return bool(self.rework_tags)

    def script_name(self, top: Path, kind: str) -> Path:
        """Path of this change's deploy/revert/verify script (reworked changes: name@tag.sql)."""
        directory = top / kind
        if self.rework_tags:
            first = None
            for tag in self.rework_tags:
                candidate = directory / f"{self.name}{tag.format_name}.sql"
                first = first or candidate
                if (top / "deploy" / candidate.name).exists():
                    return candidate
            assert first is not None
            return first
        return directory / f"{self.name}.sql"


@dataclass
class Plan:
    path: Path
    project: str
    uri: str | None
    syntax_version: str
    changes: list[Change]
    tags: list[Tag]

    @property
    def top_dir(self) -> Path:
        return self.path.parent

    def script(self, change: Change, kind: str) -> Path:
        return change.script_name(self.top_dir, kind)

    def by_id(self) -> dict[str, Change]:
        return {c.id: c for c in self.changes}

    def resolve(self, target: str) -> Change:
        """The change a `--to` argument names: `change`, `@tag`, `change@tag`, `@HEAD`, `@ROOT`."""
        if not self.changes:
            raise PlanError(f"the plan {self.path} has no changes")
        if target in ("@HEAD", "HEAD"):
            return self.changes[-1]
        if target in ("@ROOT", "ROOT"):
            return self.changes[0]
        if target.startswith("@"):
            for tag in self.tags:
                if tag.name == target[1:]:
                    assert tag.change is not None
                    return tag.change
            raise PlanError(f'unknown tag "{target}" (tags in the plan: {self._tag_names()})')
        name, _, tag_name = target.partition("@")
        matches = [c for c in self.changes if c.name == name]
        if not matches:
            for c in self.changes:
                if c.id == target:
                    return c
            raise PlanError(f'unknown change "{target}" (not in {self.path})')
        if tag_name:
            # change@tag: the instance of the change as of that tag.
            tag = next((t for t in self.tags if t.name == tag_name), None)
            if tag is None or tag.change is None:
                raise PlanError(f'unknown tag "@{tag_name}" in "{target}"')
            earlier = [c for c in matches if c.index <= tag.change.index]
            if not earlier:
                raise PlanError(f'change "{name}" does not exist as of tag "@{tag_name}"')
            return earlier[-1]
        return matches[-1]

    def _tag_names(self) -> str:
        return ", ".join(t.format_name for t in self.tags) or "none"


def _unescape_note(note: str | None) -> str:
    if not note:
        return ""
    note = note.strip()
    return re.sub(r"\\[\\nr]", lambda m: _UNESCAPE[m.group(0)], note)


def _parse_dependency(text: str, where: str) -> Dependency:
    conflict = text.startswith("!")
    body = text[1:] if conflict else text
    project = None
    if ":" in body:
        project, body = body.split(":", 1)
    change, _, tag = body.partition("@")
    if not change and not tag:
        raise PlanError(f'{where}: invalid dependency "{text}"')
    for part in (change, tag):
        if part and not _NAME.match(part):
            raise PlanError(f'{where}: invalid dependency "{text}"')
    return Dependency(conflict=conflict, project=project, change=change or None, tag=tag or None)


def _timestamp(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _sqitch_ts(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_uri(uri: str) -> str:
    """The subset of URI->canonical Sqitch relies on: lower-case scheme and host, '/' for empty path."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", uri)
    if not m:
        return uri
    scheme, authority, rest = m.groups()
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        authority = f"{userinfo}@{host.lower()}"
    else:
        authority = authority.lower()
    if scheme.lower() in ("http", "https") and not rest:
        rest = "/"
    return f"{scheme.lower()}://{authority}{rest}"


def _info_project(plan: Plan) -> list[str]:
    lines = [f"project {plan.project}"]
    if plan.uri:
        lines.append(f"uri {canonical_uri(plan.uri)}")
    return lines


def change_info(plan: Plan, change: Change) -> str:
    lines = _info_project(plan)
    lines.append(f"change {change.name}")
    if change.parent is not None:
        lines.append(f"parent {change.parent.id}")
    lines += change.info_planner()
    if change.requires:
        lines.append("requires\n  + " + "\n  + ".join(d.as_string(plan.project) for d in change.requires))
    if change.conflicts:
        lines.append(
            "conflicts\n  - " + "\n  - ".join(d.as_string(plan.project) for d in change.conflicts)
        )
    if change.note:
        lines.extend(["", change.note])
    return "\n".join(lines)


def tag_info(plan: Plan, tag: Tag) -> str:
    assert tag.change is not None
    lines = _info_project(plan)
    lines += [f"tag {tag.format_name}", f"change {tag.change.id}", *tag.info_planner()]
    if tag.note:
        lines.extend(["", tag.note])
    return "\n".join(lines)


def _sha1_object(kind: str, info: str) -> str:
    content = info.encode("utf-8")
    return hashlib.sha1(f"{kind} {len(content)}\0".encode() + content).hexdigest()


def script_hash(path: Path) -> str | None:
    """SHA-1 of a deploy script's raw bytes, as Sqitch stores it in changes.script_hash."""
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def is_nontransactional(path: Path) -> bool:
    """True when the script's first line is the marker asking to run outside a transaction."""
    with path.open(encoding="utf-8") as fh:
        return fh.readline().strip().lower() == NONTRANSACTIONAL_MARKER


def load(path: str | Path) -> Plan:
    """Parse a plan file. Raises PlanError naming the file and line for anything malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"plan file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    pragmas: dict[str, str] = {}
    changes: list[Change] = []
    tags: list[Tag] = []
    in_header = True
    by_name: dict[str, Change] = {}
    since_tag: dict[str, int] = {}  # change name -> line, for changes since the last tag

    for line_no, raw in enumerate(text.splitlines(), start=1):
        where = f"{path}:{line_no}"
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            if not stripped and pragmas:
                in_header = False
            continue
        if stripped.startswith("%"):
            if not in_header:
                raise PlanError(f"{where}: pragma after the first change; pragmas belong at the top")
            m = _PRAGMA.match(stripped)
            if not m:
                raise PlanError(f"{where}: malformed pragma: {stripped}")
            pragmas[m.group("name")] = (m.group("value") or "1").strip()
            continue
        in_header = False
        if "project" not in pragmas:
            raise PlanError(f"{where}: missing %project pragma before the first change")
        m = _LINE.match(raw)
        if not m:
            raise PlanError(
                f"{where}: malformed plan line (expected 'name [deps] YYYY-MM-DDTHH:MM:SSZ "
                f"Planner Name <email> # note'): {stripped}"
            )
        name = m.group("name")
        if _TRAILING_DIGITS_AFTER_PUNCT.search(name):
            raise PlanError(f'{where}: invalid name "{name}": it ends in ~ / = % or ^ followed by digits')
        ts = _timestamp(m.group("ts"))
        common = {
            "timestamp": ts,
            "planner_name": m.group("planner_name").strip(),
            "planner_email": m.group("planner_email").strip(),
            "note": _unescape_note(m.group("note")),
            "line_no": line_no,
        }
        if m.group("tag"):
            if m.group("deps") is not None:
                raise PlanError(f"{where}: a tag cannot have dependencies")
            if "/" in name:
                raise PlanError(f'{where}: invalid tag name "{name}"')
            if any(t.name == name for t in tags):
                raise PlanError(f'{where}: tag "@{name}" is already in the plan')
            if not changes:
                raise PlanError(f'{where}: tag "@{name}" comes before any change')
            tag = Tag(name=name, change=changes[-1], **common)
            changes[-1].tags.append(tag)
            tags.append(tag)
            since_tag.clear()
            continue
        if name in since_tag:
            raise PlanError(
                f'{where}: change "{name}" is already in the plan at line {since_tag[name]} '
                "with no tag in between (a reworked change needs a tag after its earlier instance)"
            )
        deps = [
            _parse_dependency(d, where) for d in (m.group("deps") or "").split() if d.strip()
        ]
        change = Change(
            name=name,
            requires=[d for d in deps if not d.conflict],
            conflicts=[d for d in deps if d.conflict],
            index=len(changes),
            **common,
        )
        change.parent = changes[-1] if changes else None
        previous = by_name.get(name)
        if previous is not None:
            change.previous_instance = previous
            previous.rework_tags = [t for t in tags if t.change and t.change.index >= previous.index]
        by_name[name] = change
        since_tag[name] = line_no
        changes.append(change)

    if "project" not in pragmas:
        raise PlanError(f"{path}: missing %project pragma")
    plan = Plan(
        path=path,
        project=pragmas["project"],
        uri=pragmas.get("uri"),
        syntax_version=pragmas.get("syntax-version", "1.0.0"),
        changes=changes,
        tags=tags,
    )
    _check_dependencies(plan)
    for change in plan.changes:  # in order: a reworked change's id depends on its parent's
        change.id = _sha1_object("change", change_info(plan, change))
    for tag in plan.tags:
        tag.id = _sha1_object("tag", tag_info(plan, tag))
    return plan


def _check_dependencies(plan: Plan) -> None:
    """Every required change of this project must appear earlier in the plan (this also rules out
    cycles: a cycle needs some change to require a later one)."""
    positions: dict[str, list[int]] = {}
    for c in plan.changes:
        positions.setdefault(c.name, []).append(c.index)
    tag_pos = {t.name: t.change.index for t in plan.tags if t.change is not None}
    for c in plan.changes:
        where = f"{plan.path}:{c.line_no}"
        for dep in c.requires:
            if dep.project not in (None, plan.project):
                continue  # another project's change: checked against the database at deploy time
            if dep.change is None:
                if dep.tag not in tag_pos:
                    raise PlanError(f'{where}: change "{c.name}" requires unknown tag "@{dep.tag}"')
                continue
            if dep.change not in positions:
                raise PlanError(
                    f'{where}: change "{c.name}" requires "{dep.key_name}", which is not in the plan'
                )
            if dep.change == c.name and c.previous_instance is not None:
                continue  # a reworked change may require its own earlier instance
            if not any(i < c.index for i in positions[dep.change]):
                later = positions[dep.change][0]
                cycle = _find_cycle(plan, c.name)
                detail = f"; cycle: {' -> '.join(cycle)}" if cycle else ""
                raise PlanError(
                    f'{where}: change "{c.name}" requires "{dep.change}", which comes later in the '
                    f"plan (line {plan.changes[later].line_no}){detail}"
                )


def _find_cycle(plan: Plan, start: str) -> list[str]:
    graph: dict[str, set[str]] = {}
    for c in plan.changes:
        graph.setdefault(c.name, set()).update(
            d.change for d in c.requires if d.change and d.project in (None, plan.project)
        )

    def walk(node: str, path: list[str]) -> list[str]:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, nxt]
            if nxt not in path:
                found = walk(nxt, [*path, nxt])
                if found:
                    return found
        return []

    return walk(start, [start])
