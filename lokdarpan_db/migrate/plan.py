"""Read a Sqitch plan (`db/sqitch.plan`) and compute change and tag ids exactly as Sqitch does.

The parser follows App::Sqitch 1.3's Plan.pm line for line (header of pragmas, then change and
tag lines, dependency checks at each tag and at the end), so a plan Sqitch refuses is refused here
too, at the same line, and a plan it accepts gets the same change ids, tag ids and script paths.
A change id is the SHA-1 of ``"change <len>\\0" + info`` where *info* lists the project,
canonical URI, change name, parent (the change before it), planner, date, dependencies and note.
tests/migrate/test_sqitch_conformance.py checks all of this against Debian's `sqitch plan`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PlanError
from . import plan_syntax as syn
from . import uri as uri_mod

NONTRANSACTIONAL_MARKER = "-- lokdarpan:no-transaction"
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", "\\r": "\r"}


@dataclass(frozen=True)
class Dependency:
    """A `[requires]` or `[!conflicts]` entry: `users`, `!legacy`, `other:change@v1`, a change id."""

    conflict: bool
    project: str | None  # as written before ':' (None when not written)
    change: str | None
    tag: str | None
    id: str | None = None  # a 40-hex change id written instead of a name

    @property
    def key_name(self) -> str:
        if self.change or self.tag:
            return (self.change or "") + (f"@{self.tag}" if self.tag else "")
        return self.id or ""

    def effective_project(self, plan: Plan) -> str | None:
        """Sqitch's Depend->project: the written project, else this plan's, except that an id not
        in this plan belongs to an unknown project."""
        if self.project is not None:
            return self.project
        if self.id is None:
            return plan.project
        # (a scan, not plan.find: this runs while the ids themselves are being computed)
        return plan.project if any(c.id == self.id for c in plan.changes) else None

    def is_internal(self, plan: Plan) -> bool:
        return self.effective_project(plan) == plan.project

    def as_string(self, plan: Plan) -> str:
        project = self.effective_project(plan)
        if project is None or project == plan.project:
            return self.key_name
        return f"{project}:{self.key_name}"

    @property
    def type(self) -> str:
        return "conflict" if self.conflict else "require"


@dataclass
class PlanItem:
    """What a change line and a tag line both carry."""

    name: str
    timestamp: str  # as written, YYYY-MM-DDTHH:MM:SSZ (UTC; may be a leap second)
    planner_name: str
    planner_email: str
    note: str
    line_no: int

    def info_planner(self) -> list[str]:
        """The planner and date lines of Sqitch's info text (the input of the id hash)."""
        return [f"planner {self.planner_name} <{self.planner_email}>", f"date {self.timestamp}"]


@dataclass
class Tag(PlanItem):
    change: Change | None = None
    id: str = ""

    @property
    def format_name(self) -> str:
        return "@" + self.name


@dataclass
class Change(PlanItem):
    operator: str = ""  # "+" or "-" when the plan line has Sqitch's deploy/revert marker
    requires: list[Dependency] = field(default_factory=list)
    conflicts: list[Dependency] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    parent: Change | None = None  # the change before this one in the plan (part of the id)
    rework_tags: list[Tag] = field(default_factory=list)  # set when a later line reworks it
    id: str = ""
    index: int = 0

    @property
    def dependencies(self) -> list[Dependency]:
        return [*self.requires, *self.conflicts]

    @property
    def is_reworked(self) -> bool:
        return bool(self.rework_tags)

    @property
    def format_name_with_tags(self) -> str:
        return " ".join([self.name, *(t.format_name for t in self.tags)])

    @property
    def tag_qualified_name(self) -> str:
        """Sqitch's format_tag_qualified_name: `name@tag` for a tagged or reworked change, else
        `name@HEAD`."""
        tag = self.tags[0] if self.tags else (self.rework_tags[0] if self.rework_tags else None)
        return f"{self.name}{tag.format_name}" if tag else f"{self.name}@HEAD"

    def script_name(self, top: Path, kind: str) -> Path:
        """Path of this change's deploy/revert/verify script, as Sqitch's path_segments: a
        reworked change uses `name@TAG.sql` for the first of its rework tags (nearest the rework
        first) whose deploy script exists, else for the first of them; a `/` in the name is a
        subdirectory."""
        *dirs, base = self.name.split("/")
        if not self.rework_tags:
            return top.joinpath(kind, *dirs, f"{base}.sql")
        names = [f"{base}{t.format_name}.sql" for t in self.rework_tags]
        deploy_dir = top.joinpath("deploy", *dirs)
        chosen = next((n for n in names if (deploy_dir / n).exists()), names[0])
        return top.joinpath(kind, *dirs, chosen)


@dataclass
class Plan:
    path: Path
    project: str
    uri: str | None
    syntax_version: str
    changes: list[Change]
    tags: list[Tag]
    _lookup: dict[str, list[int]] = field(default_factory=dict, repr=False)

    @property
    def top_dir(self) -> Path:
        return self.path.parent

    def script(self, change: Change, kind: str) -> Path:
        return change.script_name(self.top_dir, kind)

    def by_id(self) -> dict[str, Change]:
        return {c.id: c for c in self.changes}

    # ------------------------------------------------------------- Sqitch's ChangeList lookups
    def _index(self) -> dict[str, list[int]]:
        if not self._lookup and self.changes:
            lookup: dict[str, list[int]] = {}
            for c in self.changes:
                lookup.setdefault(c.name, []).append(c.index)
                lookup[c.id] = [c.index]
                for t in c.tags:
                    lookup[t.format_name] = [c.index]
                    lookup[t.id] = [c.index]
            lookup["HEAD"] = lookup["@HEAD"] = [len(self.changes) - 1]
            lookup["ROOT"] = lookup["@ROOT"] = [0]
            self._lookup = lookup
        return self._lookup

    def index_of(self, key: str) -> int | None:
        """Sqitch's index_of: `name`, `@tag`, `name@tag`, an id, HEAD/ROOT, each optionally with
        an offset (`^`, `^^`, `^N` back; `~`, `~~`, `~N` forward). A name that is reworked is
        ambiguous (PlanError naming the tag-qualified choices); `name@tag` with an unknown tag too."""
        key, offset = split_offset(key)
        idx = self._index_of(key)
        return self._apply_offset(idx, offset)

    def first_index_of(self, key: str) -> int | None:
        """Sqitch's first_index_of: the first instance of a change name (no ambiguity)."""
        key, offset = split_offset(key)
        found = self._index().get(key)
        return self._apply_offset(found[0] if found else None, offset)

    def _apply_offset(self, idx: int | None, offset: int) -> int | None:
        if idx is None:
            return None
        idx += offset
        return idx if 0 <= idx < len(self.changes) else None

    def _index_of(self, key: str) -> int | None:
        lookup = self._index()
        change, sep, tag = key.partition("@")
        if change == "" and sep:
            found = lookup.get("@" + tag)
            return found[0] if found else None
        found = lookup.get(change)
        if not found:
            return None
        if sep:
            tag_idx = lookup.get("@" + tag)
            if tag_idx is None:
                raise PlanError(f'unknown tag "@{tag}" in "{key}" (tags in the plan: {self._tag_names()})')
            return next((i for i in reversed(found) if i <= tag_idx[0]), None)
        if len(found) < 2:
            return found[0]
        choices = ", ".join(self.changes[i].tag_qualified_name for i in reversed(found))
        raise PlanError(f'change "{key}" is ambiguous (it is reworked); say which: {choices}')

    def find(self, key: str) -> Change | None:
        """Sqitch's find: `name@tag` and `@tag` via index_of, a bare name's first instance."""
        idx = self.index_of(key) if "@" in key else self.first_index_of(key)
        return None if idx is None else self.changes[idx]

    def contains(self, key: str) -> bool:
        try:
            return self.find(key) is not None
        except PlanError:
            return False

    def resolve(self, target: str) -> Change:
        """The change a deploy `--to` names (see index_of), or PlanError (exit 2)."""
        if not self.changes:
            raise PlanError(f"the plan {self.path} has no changes")
        idx = self.index_of(target)
        if idx is None:
            base, _ = split_offset(target)
            if base.startswith("@") and base not in self._index():
                raise PlanError(f'unknown tag "{base}" (tags in the plan: {self._tag_names()})')
            if base != target and self._index_of(base) is not None:
                raise PlanError(f'"{target}" is outside the plan (it has {len(self.changes)} changes)')
            raise PlanError(f'unknown change "{target}" (not in {self.path})')
        return self.changes[idx]

    def _tag_names(self) -> str:
        return ", ".join(t.format_name for t in self.tags) or "none"


def split_offset(key: str) -> tuple[str, int]:
    """Strip a trailing `^`/`~` offset (Sqitch's ChangeList::_offset): `@HEAD^2` -> (`@HEAD`, -2)."""
    m = syn.OFFSET.search(key)
    if not m:
        return key, 0
    offset = int(m.group(3)) if m.group(3) else (2 if m.group(2) else 1)
    return key[: m.start()], -offset if m.group(1) == "^" else offset


# ---------------------------------------------------------------------------- ids
def _info_project(plan: Plan) -> list[str]:
    lines = [f"project {plan.project}"]
    # Plan->uri is undef for a Perl-false pragma; the line needs the URI object itself true.
    uri = plan.uri
    if uri is not None and syn.perl_true(uri) and uri_mod.is_true(uri):
        lines.append(f"uri {uri_mod.canonical(uri)}")
    return lines


def change_info(plan: Plan, change: Change) -> str:
    lines = _info_project(plan)
    lines.append(f"change {change.name}")
    if change.parent is not None:
        lines.append(f"parent {change.parent.id}")
    lines += change.info_planner()
    # Sqitch tests the joined list's Perl truth, so a lone `!0` (joined: "0") adds no line.
    reqs = "\n  + ".join(d.as_string(plan) for d in change.requires)
    confs = "\n  - ".join(d.as_string(plan) for d in change.conflicts)
    if syn.perl_true(reqs):
        lines.append(f"requires\n  + {reqs}")
    if syn.perl_true(confs):
        lines.append(f"conflicts\n  - {confs}")
    if syn.perl_true(change.note):
        lines.extend(["", change.note])
    return "\n".join(lines)


def tag_info(plan: Plan, tag: Tag) -> str:
    assert tag.change is not None
    lines = _info_project(plan)
    lines += [f"tag {tag.format_name}", f"change {tag.change.id}", *tag.info_planner()]
    if syn.perl_true(tag.note):
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
    with path.open(encoding="utf-8-sig") as fh:  # a leading BOM is not part of the marker
        return fh.readline().strip().lower() == NONTRANSACTIONAL_MARKER


# ---------------------------------------------------------------------------- parsing
def load(path: str | Path) -> Plan:
    """Parse a plan file. Raises PlanError naming the file and line for anything malformed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"plan file not found: {path}") from None
    except IsADirectoryError:
        raise PlanError(f"plan file {path} is not a regular file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PlanError(f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return _Parser(path, text).parse()


def _note(note: str | None) -> str:
    """Line->BUILDARGS: trim a (Perl-true) note and unescape \\\\, \\n and \\r."""
    if not syn.perl_true(note):
        return note or ""
    assert note is not None
    note = re.sub(rf"\A[{syn.PERL_SPACE}]+", "", note)
    note = re.sub(rf"[{syn.PERL_SPACE}]+\Z", "", note)
    return re.sub(r"\\[\\nr]", lambda m: _UNESCAPE[m.group(0)], note)


def _lines(text: str) -> list[str]:
    """Lines as Perl's getline plus `s/\\r?\\n\\z//` gives them (only \\n ends a line)."""
    pieces = text.split("\n")
    last = pieces.pop()
    out = [p[:-1] if p.endswith("\r") else p for p in pieces]
    if last:
        out.append(last)
    return out


class _Parser:
    """App::Sqitch::Plan::_parse, transcribed."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.g = syn.grammar_for(text)
        self.changes: list[Change] = []  # every change, in plan order
        self.checked: list[Change] = []  # Sqitch's @changes: changes up to the last tag
        self.current: list[Change] = []  # changes since the last tag (@curr_changes)
        self.tags: list[Tag] = []
        self.line_no_for: dict[str, int] = {}  # names and @tags up to the last tag -> line
        self.tag_changes: dict[str, int] = {}  # names since the last tag -> line
        self.change_named: dict[str, Change] = {}
        self.project = ""

    def fail(self, line_no: int, message: str) -> PlanError:
        return PlanError(f"{self.path}:{line_no}: {message}")

    def parse(self) -> Plan:
        lines = _lines(self.text)
        pragmas, start = self._header(lines)
        if not syn.perl_true(pragmas.get("project")):
            raise PlanError(f"{self.path}: missing %project pragma (the header must name the project)")
        self.project = pragmas["project"]
        for i in range(start, len(lines)):
            self._line(lines[i], i + 1)
        if self.current:
            self._check_section()
        plan = Plan(path=self.path, project=self.project, uri=pragmas.get("uri"),
                    syntax_version=pragmas.get("syntax-version", "1.0.0"),
                    changes=self.changes, tags=self.tags)
        try:
            for change in plan.changes:  # in order: an id includes its parent's id
                change.id = _sha1_object("change", change_info(plan, change))
            for tag in plan.tags:
                tag.id = _sha1_object("tag", tag_info(plan, tag))
        except uri_mod.UnsupportedURI as exc:
            shown = plan.uri if len(plan.uri or "") <= 80 else f"{(plan.uri or '')[:77]}..."
            raise PlanError(f"{self.path}: %uri={shown}: {exc}, so the change ids Sqitch "
                            "computes from it cannot be reproduced; use an http(s), database, "
                            "urn: or file: URI") from None
        return plan

    def _header(self, lines: list[str]) -> tuple[dict[str, str], int]:
        pragmas: dict[str, str] = {}
        for i, line in enumerate(lines):
            line_no = i + 1
            m = syn.BLANK_LINE.match(line)
            if m:
                if not syn.perl_true(_note(m.group("note"))):
                    return pragmas, i + 1
                continue
            line = line[: syn.NOTE.search(line).start()]  # type: ignore[union-attr]
            pm = syn.PRAGMA.match(line)
            if not pm:
                raise self.fail(line_no, "invalid pragma; a blank line must come between pragmas "
                                         f"and changes: {lines[i].strip()}")
            name, value = pm.group("name"), pm.group("value")
            if name == "syntax-version":
                pragmas["syntax-version"] = "1.0.0"
            elif name == "project":
                if value is None or not self.g.is_name(value):
                    raise self.fail(line_no, f'invalid project name "{value or ""}": project names '
                                    'must not begin with punctuation, contain "@", ":", "#", "\\", '
                                    "or blanks, or end in punctuation or digits following punctuation")
                pragmas["project"] = value
            else:
                pragmas[name] = value if value is not None else "1"
        return pragmas, len(lines)

    def _line(self, raw: str, line_no: int) -> None:
        if syn.BLANK_LINE.match(raw):
            return
        nm = syn.NOTE.search(raw)
        assert nm is not None
        line, note = raw[: nm.start()], nm.group("note")
        is_tag = bool(syn.IS_TAG.match(line))
        m = self.g.line.match(line)
        p = m.groupdict() if m else {}
        shown = raw.strip()
        if not syn.perl_true(p.get("name")) or (
                not syn.perl_true(p.get("yr")) and syn.TIMESTAMP_RE.search(line)):
            raise self.fail(line_no, 'malformed plan line: invalid name (names must not begin with '
                            'punctuation, contain "@", ":", "#", "\\" or blanks, or end in '
                            "punctuation or digits following punctuation; expected 'name [deps] "
                            f"YYYY-MM-DDTHH:MM:SSZ Planner Name <email> # note'): {shown}")
        has_ts, has_planner = syn.perl_true(p.get("yr")), syn.perl_true(p.get("planner_name"))
        if not has_ts and not has_planner:
            raise self.fail(line_no, f"malformed plan line: missing timestamp and planner name and "
                            f"email: {shown}")
        if not has_ts:
            raise self.fail(line_no, f"malformed plan line: missing timestamp "
                            f"(YYYY-MM-DDTHH:MM:SSZ): {shown}")
        if not has_planner:
            raise self.fail(line_no, f"malformed plan line: missing planner name and <email>: {shown}")
        name = p["name"]
        shown_name = ("@" if is_tag else "") + name
        if name in syn.RESERVED_NAMES:
            raise self.fail(line_no, f'"{shown_name}" is a reserved name')
        if syn.SHA1_PREFIX.match(name):
            raise self.fail(line_no, f'"{name}" is invalid because it could be confused with a SHA1 ID')
        assert m is not None
        problem = syn.timestamp_problem(m)
        ts = "{yr}-{mo}-{dy}T{hr}:{mi}:{sc}Z".format(**p)
        if problem:
            raise self.fail(line_no, f"invalid timestamp {ts}: {problem}")
        common = {"name": name, "timestamp": ts, "planner_name": p["planner_name"],
                  "planner_email": p["planner_email"], "note": _note(note), "line_no": line_no}
        if is_tag:
            self._tag(common, p, line_no)
        else:
            self._change(common, p, line_no)

    def _tag(self, common: dict, p: dict, line_no: int) -> None:
        name = common["name"]
        if "/" in name:
            raise self.fail(line_no, f'tag "{name}" contains illegal character /')
        if not self.changes:
            raise self.fail(line_no, f'tag "@{name}" declared without a preceding change')
        if f"@{name}" in self.line_no_for:
            raise self.fail(line_no, f'tag "@{name}" duplicates earlier declaration on line '
                            f'{self.line_no_for["@" + name]}')
        if syn.perl_true(p.get("dependencies")):
            raise self.fail(line_no, "tags may not specify dependencies")
        if self.current:
            self._check_section()
        change = self.changes[-1]
        tag = Tag(change=change, **common)
        change.tags.append(tag)
        self.tags.append(tag)
        self.line_no_for.update(self.tag_changes)
        self.line_no_for[f"@{name}"] = line_no
        self.tag_changes = {}

    def _change(self, common: dict, p: dict, line_no: int) -> None:
        name = common["name"]
        if name in self.tag_changes:
            raise self.fail(line_no, f'change "{name}" is already in the plan at line '
                            f"{self.tag_changes[name]} with no tag in between (a reworked change "
                            "needs a tag after its earlier instance)")
        requires: list[Dependency] = []
        conflicts: list[Dependency] = []
        deps = p.get("dependencies")
        if syn.perl_true(deps):
            assert deps is not None
            parts = re.split(f"{syn.BLANK}+", deps)
            while parts and parts[-1] == "":
                parts.pop()  # Perl's split drops trailing empty fields (not leading ones)
            seen: set[str] = set()
            for text in parts:
                dep = self._dependency(text, line_no)
                if text in seen:
                    raise self.fail(line_no, f'duplicate dependency "{text}"')
                seen.add(text)
                (conflicts if dep.conflict else requires).append(dep)
        change = Change(operator=p.get("operator") or "", requires=requires, conflicts=conflicts,
                        index=len(self.changes), **common)
        change.parent = self.changes[-1] if self.changes else None
        self.tag_changes[name] = line_no
        self.current.append(change)
        self.changes.append(change)
        duped = self.change_named.get(name)
        if duped is not None:
            rework: list[Tag] = []
            for earlier in reversed(self.checked):
                if earlier is duped:
                    break
                rework.extend(earlier.tags)
            duped.rework_tags.extend([*rework, *duped.tags])
        self.change_named[name] = change

    def _dependency(self, text: str, line_no: int) -> Dependency:
        m = self.g.depend.match(text)
        if not m or not (m.group("change") or m.group("tag") or m.group("tag2") or m.group("id")):
            raise self.fail(line_no, f'"{text}" is not a valid dependency specification')
        return Dependency(conflict=bool(m.group("conflicts")), project=m.group("project"),
                          change=m.group("change") or None,
                          tag=m.group("tag") or m.group("tag2") or None, id=m.group("id") or None)

    def _check_section(self) -> None:
        """Sqitch's check_changes: every required change of this project is planned earlier
        (`name@tag`: an instance of `name` before that tag)."""
        seen = self.line_no_for
        position: dict[str, int] = {}
        for i, change in enumerate(self.current, start=1):
            for dep in change.requires:
                if dep.project is not None:
                    if dep.project != self.project:
                        continue  # another project's change: checked against the database
                elif dep.id is not None:
                    continue
                key = dep.key_name
                if re.search(r".@", key):
                    name, tag = key.split("@", 1)
                    tag_at, change_at = seen.get(f"@{tag}"), seen.get(name)
                    if tag_at and change_at and change_at < tag_at:
                        continue
                elif key in seen or position.get(key):
                    continue
                raise self._dependency_error(change, key)
            position[change.name] = i
        self.checked.extend(self.current)
        self.current = []

    def _dependency_error(self, change: Change, key: str) -> PlanError:
        if key == change.name:
            return self.fail(change.line_no, f'change "{change.name}" cannot require itself')
        later = next((c for c in self.current if c.name == key and c.index > change.index), None)
        if later is not None:
            cycle = _find_cycle(self.changes, change.name, self.project)
            detail = f"; cycle: {' -> '.join(cycle)}" if cycle else ""
            return self.fail(change.line_no, f'change "{change.name}" requires "{key}", which comes '
                             f"later in the plan (line {later.line_no}){detail}")
        return self.fail(change.line_no, f'change "{change.name}" requires "{key}", which is not in '
                         "the plan before it")


def _find_cycle(changes: list[Change], start: str, project: str) -> list[str]:
    graph: dict[str, set[str]] = {}
    for c in changes:
        graph.setdefault(c.name, set()).update(
            d.change for d in c.requires if d.change and d.project in (None, project)
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
