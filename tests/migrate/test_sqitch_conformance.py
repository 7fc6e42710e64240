"""Our plan parser against Debian's real Sqitch, case by case.

CASES is a table of plans, valid and invalid, covering what Sqitch's Plan.pm accepts and refuses
(names, reserved words, SHA-1-like names, pragmas, dependencies, tags, reworked changes, +/-
markers, timestamps, notes, %uri canonicalisation, line endings). Each runs through `plan.load`
and through `sqitch plan` (verdict, change ids, the line of a syntax error) and, for valid plans,
through App::Sqitch's own Plan objects (PLAN_DUMP below: tag ids and the deploy script each
change uses). Both must agree with the table and with each other.

Where Sqitch reports an error without a line (dependency errors, impossible dates, a malformed
dependency list) we still name the line; `sqitch_line=False` marks those rows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import cli_env

from lokdarpan_db.errors import PlanError
from lokdarpan_db.migrate import plan as plan_mod

pytestmark = pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch not installed")

HEADER = "%syntax-version=1.0.0\n%project=conf\n%uri=https://example.org/conf/\n\n"  # body starts on line 5
WHO = "2026-01-01T00:00:00Z Ravi Kumar <ravi@example.org>"


@dataclass(frozen=True)
class Case:
    id: str
    plan: str | bytes
    error_line: int | None = None  # None: a valid plan; else the line both tools must name
    sqitch_line: bool = True  # False: Sqitch refuses without naming a line
    files: tuple[str, ...] = ()  # deploy scripts to create first (reworked script lookup)

    @property
    def valid(self) -> bool:
        return self.error_line is None


def body(text: str, header: str = HEADER) -> str:
    return header + textwrap.dedent(text).lstrip("\n").replace("WHO", WHO)


def uri_case(case_id: str, uri: str) -> Case:
    return Case(case_id, body("a WHO # x\n", header=f"%project=conf\n%uri={uri}\n\n"))


CASES: list[Case] = [
    # ------------------------------------------------------------------ valid plans
    Case("basic", body(r"""
        base WHO # first\nwith an escaped newline and a \\ backslash
        feature [base !legacy] WHO
        other [conf:base] 2026-01-02T03:04:05Z Asha Rao <asha@example.org>
        """)),
    Case("tags-with-notes-and-two-tags-on-one-change", body("""
        a WHO
        @v1.0 WHO # release one
        @beta WHO
        b [@v1.0] WHO
        @1 WHO
        """)),
    Case("rework-tag-on-another-change", body("""
        alpha WHO
        gamma [alpha] WHO
        epsilon WHO
        @v3 WHO
        gamma [gamma@v3] 2026-01-01T00:05:00Z Ravi Kumar <ravi@example.org> # reworked
        """)),
    Case("rework-slash-name-several-tags", body("""
        func/add WHO
        @a WHO
        other WHO
        @b WHO
        plain WHO
        @c WHO
        func/add [func/add@c] 2026-01-01T00:05:00Z Ravi Kumar <ravi@example.org>
        """)),
    Case("rework-slash-name-existing-middle-tag-script", body("""
        func/add WHO
        @a WHO
        other WHO
        @b WHO
        plain WHO
        @c WHO
        func/add [func/add@c] 2026-01-01T00:05:00Z Ravi Kumar <ravi@example.org>
        """), files=("deploy/func/add@b.sql",)),
    Case("rework-three-times", body("""
        x WHO
        @a WHO
        x [x@a] 2026-01-01T00:01:00Z Ravi Kumar <ravi@example.org>
        @b WHO
        x [x@b] 2026-01-01T00:02:00Z Ravi Kumar <ravi@example.org>
        """)),
    Case("rework-requiring-itself-without-tag", body("""
        gamma WHO
        @v1 WHO
        gamma [gamma] 2026-01-01T00:01:00Z Ravi Kumar <ravi@example.org>
        delta [gamma@v1 gamma] WHO
        """)),
    Case("deploy-and-revert-markers", body("""
        +a WHO
        @v1 WHO
        - a 2026-01-01T00:01:00Z Ravi Kumar <ravi@example.org>
        @v2 WHO
         +  a 2026-01-01T00:02:00Z Ravi Kumar <ravi@example.org> # back
        """)),
    Case("external-project-dependencies", body("""
        a [other:thing other:@rel !other:old other:x@y] WHO
        """)),
    Case("unicode-and-unusual-names", body("""
        వార్డు WHO # Telugu, ends in a vowel sign
        阱阪阬92 [వార్డు] WHO
        foo/bar WHO
        v1.2+1 WHO
        _foo WHO
        12 WHO
        foo-2 WHO
        """)),
    Case("planner-spacing-and-tabs",
         body("a\t2026-01-01T00:00:00Z\tRavi  Kumar  <ravi@example.org>\t#\tnote\n"
              "b 2026-01-01T00:00:00Z   Asha Rao <a@b>   \n")),
    Case("notes-that-perl-finds-false", body("""
        a WHO # 0
        b WHO #   0
        c WHO #
        @t WHO # 0
        """)),
    Case("leap-second-and-year-zero", body("""
        a 2016-12-31T23:59:60Z Ravi Kumar <ravi@example.org>
        b 0000-02-29T00:00:00Z Ravi Kumar <ravi@example.org>
        """)),
    Case("header-comments-and-spacing", "% syntax-version = 9.9.9\n# a comment\n  %  project = conf # c\n"
         "%uri = https://example.org/conf/\n\n" + body("a WHO\n", header="")),
    Case("header-ended-by-hash-space", "%project=conf\n# \n" + body("a WHO\n", header="")),
    Case("no-syntax-version-no-uri", body("a WHO\n", header="%project=conf\n\n")),
    Case("crlf-line-endings", body("a WHO\nb [a] WHO\n").replace("\n", "\r\n")),
    Case("comments-blank-lines-indentation", body("""
        # a comment

          a WHO
        \t@t WHO
        # another
        b WHO
        """)),
    Case("dependency-list-trailing-blank", body("""
        a WHO
        b [a ] WHO
        """)),
    Case("unusual-but-valid-lines", body("""
        HEADx WHO # a name that merely starts with HEAD
        @версия-1 WHO # a Cyrillic tag
        b [HEADx\t\t@версия-1  conf:@версия-1] 2026-01-01T00:00:00Z  Bob @ Work  <b c@example.org>
        c WHO # escapes: \\r\r and \\n\n
        """) + "d " + WHO + "\r\n"),
    uri_case("uri-default-https-port", "https://example.com:443/x"),
    uri_case("uri-default-http-port-empty-path", "http://example.com:80"),
    uri_case("uri-unreserved-escape", "https://example.com/%7euser/%2f"),
    uri_case("uri-upper-case-scheme-and-host", "HTTPS://Example.COM/Conf"),
    uri_case("uri-idn-host", "https://bücher.example/"),
    uri_case("uri-non-ascii-path", "https://example.com/ward ä"),
    uri_case("uri-urn", "urn:ISBN:0451450523"),
    uri_case("uri-git-scheme", "git://Example.com:9418/conf"),
    # URI::db's engine names (issue 20, item 6): postgresql:// and postgres:// become pg://
    uri_case("uri-postgresql", "postgresql://H/db"),
    uri_case("uri-postgres-userinfo-default-port-query",
             "postgres://Ravi:s%65cret@DB.Example.IN:5432/lok%64arpan?sslmode=require"),
    uri_case("uri-redshift-own-port", "redshift://H:5439/db"),
    uri_case("uri-db-nested", "DB:PostgreSQL://H:5432/db"),
    uri_case("uri-file-localhost", "file://LOCALHOST/srv/lokdarpan"),
    uri_case("uri-quoted-zero", '"0"'),
    # Perl truth in the id (item 12): a lone conflict `!0` joins to "0", a false string
    Case("conflict-list-joining-to-zero", body("""
        a WHO
        b [a !0] WHO
        c [!0] WHO
        d [!0 !a] WHO
        """)),
    Case("dependency-list-that-is-zero", body("""
        a WHO
        b [0] WHO
        @t [0] WHO
        """)),
    # ------------------------------------------------------------------ invalid plans
    Case("empty-file", "", 0, False),
    Case("tag-name-ending-in-caret-digits", body("a WHO\n@v1.0^2 WHO\n"), 6),
    Case("reserved-change-name-HEAD", body("HEAD WHO\n"), 5),
    Case("reserved-tag-name-ROOT", body("a WHO\n@ROOT WHO\n"), 6),
    Case("reserved-change-name-ROOT", body("a WHO\nROOT WHO\n"), 6),
    Case("sha1-like-name", body("0123456789abcdef0123456789abcdef01234567x WHO\n"), 5),
    Case("sha1-like-tag", body("a WHO\n@0123456789abcdef0123456789abcdef01234567 WHO\n"), 6),
    Case("project-ending-in-punctuation", "%project=conf!\n\n" + body("a WHO\n", header=""), 1),
    Case("project-with-digits-after-caret", "%project=conf^2\n\n" + body("a WHO\n", header=""), 1),
    Case("project-starting-with-punctuation", "%syntax-version=1.0.0\n%project=-conf\n\n"
         + body("a WHO\n", header=""), 2),
    Case("project-without-value", "%project\n\n" + body("a WHO\n", header=""), 1),
    Case("missing-project", "%uri=https://example.org/\n\n" + body("a WHO\n", header=""), 0, False),
    Case("duplicate-dependency", body("a WHO\nb [a a] WHO\n"), 6),
    Case("unknown-tag-in-dependency", body("a WHO\nb [a@nope] WHO\n"), 6, False),
    Case("dependency-on-a-later-tag", body("a WHO\nb [@v1] WHO\n@v1 WHO\n"), 6, False),
    Case("dependency-on-a-change-in-a-later-section", body("a [b] WHO\n@v1 WHO\nb WHO\n"), 5, False),
    Case("dependency-on-a-later-change-cycle", body("a [b] WHO\nb [a] WHO\n"), 5, False),
    Case("dependency-on-unknown-change", body("a WHO\nb [nope] WHO\n"), 6, False),
    Case("change-requiring-itself", body("a WHO\nb [b] WHO\n"), 6, False),
    Case("tag-qualified-dependency-after-second-tag", body("""
        gamma WHO
        @v3 WHO
        gamma 2026-01-01T00:01:00Z Ravi Kumar <ravi@example.org>
        @v4 WHO
        delta [gamma@v3] WHO
        """), 9, False),
    Case("dependency-error-reported-before-a-later-syntax-error", body("""
        a [nope] WHO
        @v1 WHO
        HEAD WHO
        """), 5, False),
    Case("syntax-error-reported-before-a-section-dependency-error", body("""
        a [nope] WHO
        HEAD WHO
        @v1 WHO
        """), 6),
    Case("no-space-before-dependencies", body("a WHO\nb[a] WHO\n"), 6),
    Case("empty-dependency-list", body("a WHO\nb [] WHO\n"), 6),
    Case("dependency-list-leading-blank", body("a WHO\nb [ a] WHO\n"), 6, False),
    Case("bad-dependency-spec", body("a WHO\nb [a:b:c] WHO\n"), 6),
    Case("pragma-directly-followed-by-change", "%syntax-version=1.0.0\n%project=conf\n"
         + body("a WHO\n", header=""), 3),
    Case("lone-hash-in-header", "%project=conf\n#\n%uri=x\n\n" + body("a WHO\n", header=""), 2),
    Case("lone-hash-in-body", body("a WHO\n#\n"), 6),
    Case("pragma-after-header", body("a WHO\n%foo=bar\n"), 6),
    Case("impossible-date", body("a 2012-02-30T00:00:00Z Ravi Kumar <ravi@example.org>\n"), 5, False),
    Case("month-13", body("a WHO\nb 2012-13-01T00:00:00Z Ravi Kumar <ravi@example.org>\n"), 6, False),
    Case("hour-24", body("a 2012-01-01T24:00:00Z Ravi Kumar <ravi@example.org>\n"), 5, False),
    Case("second-60-not-a-leap-second", body("a 2015-12-31T23:59:60Z Ravi Kumar <ravi@example.org>\n"),
         5, False),
    Case("hash-in-planner-email", body("a WHO\nb 2026-01-01T00:00:00Z X <x#y@example.org>\n"), 6),
    Case("duplicate-tag", body("a WHO\n@v1 WHO\nb WHO\n@v1 WHO\n"), 8),
    Case("tag-with-dependencies", body("a WHO\n@v1 [a] WHO\n"), 6),
    Case("tag-before-any-change", body("@v1 WHO\na WHO\n"), 5),
    Case("tag-with-slash", body("a WHO\n@v1/x WHO\n"), 6),
    Case("missing-timestamp", body("a 2026-01-01 Ravi <ravi@example.org>\n"), 5),
    Case("missing-planner", body("a 2026-01-01T00:00:00Z\n"), 5),
    Case("missing-timestamp-and-planner", body("a\n"), 5),
    Case("revert-marker-duplicating-a-change", body("a WHO\n-a WHO\n"), 6),
    Case("duplicate-change-without-tag", body("a WHO\nb WHO\na WHO\n"), 7),
    Case("name-ending-in-caret-digits", body("foo^2 WHO\n"), 5),
    Case("name-with-backslash", body("foo\\bar WHO\n"), 5),
    Case("name-ending-in-punctuation", body("hi! WHO\n"), 5),
    Case("name-starting-with-punctuation", body("%hi WHO\n"), 5),
    # Non-ASCII digits (item 11): Sqitch's [[:digit:]] matches them, DateTime refuses them
    Case("timestamp-fullwidth-year", body("a ２０２６-03-01T00:00:00Z Ravi Kumar <ravi@example.org>\n"),
         5, False),
    Case("timestamp-arabic-indic-month", body("a WHO\nb 2026-0٣-01T00:00:00Z Ravi Kumar <r@x>\n"),
         6, False),
    Case("timestamp-devanagari-second-on-a-tag", body("a WHO\n@t 2026-03-01T00:00:0९Z Ravi <r@x>\n"),
         6, False),
    Case("name-ending-in-caret-telugu-digits", body("foo^౨ WHO\n"), 5),
    Case("planner-name-zero", body("a 2026-01-01T00:00:00Z 0 <ravi@example.org>\n"), 5),
    Case("not-utf8", body("a WHO\n").encode() + b"b 2026-01-01T00:00:00Z X <x\xff@y>\n", 6, False),
]


# Perl, run with Debian's App::Sqitch: for each directory given, the change ids with their deploy
# script paths and the tag ids, as Sqitch's own Plan objects compute them.
PLAN_DUMP = r"""
use strict;
use warnings;
use App::Sqitch;
use App::Sqitch::Config;
use App::Sqitch::Target;
use Cwd qw(getcwd);

binmode STDOUT, ':encoding(UTF-8)';
my $start = getcwd();
for my $dir (@ARGV) {
    chdir $dir or die "cannot chdir to $dir: $!";
    print "case\t$dir\n";
    my $ok = eval {
        my $sqitch = App::Sqitch->new(config => App::Sqitch::Config->new);
        my $target = App::Sqitch::Target->new(sqitch => $sqitch);
        my $plan = $target->plan;
        for my $change ($plan->changes) {
            print join("\t", 'change', $change->id, $change->deploy_file->relative($target->top_dir)), "\n";
            print join("\t", 'tag', $_->id, $_->format_name), "\n" for $change->tags;
        }
        1;
    };
    print "error\n" unless $ok;
    chdir $start;
}
"""


@dataclass
class SqitchVerdict:
    ok: bool
    change_ids: list[str]
    line: int | None
    output: str


@dataclass
class SqitchObjects:
    changes: list[tuple[str, str]]  # (id, deploy script relative to the top directory)
    tags: list[tuple[str, str]]  # (id, @name)


def _write(root: Path, case: Case) -> Path:
    top = root / "db"
    for kind in ("deploy", "revert", "verify"):
        (top / kind).mkdir(parents=True)
    (root / "sqitch.conf").write_text("[core]\n\tengine = pg\n\ttop_dir = db\n\tplan_file = db/sqitch.plan\n")
    data = case.plan if isinstance(case.plan, bytes) else case.plan.encode("utf-8")
    (top / "sqitch.plan").write_bytes(data)
    for name in case.files:
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("select 1;\n")
    return root


def _sqitch_plan(root: Path) -> SqitchVerdict:
    res = subprocess.run(["sqitch", "plan", "--no-headers", "--format", "format:%H"], cwd=root,
                         env=cli_env(), capture_output=True, text=True, timeout=120, check=False)
    out = res.stdout + res.stderr
    m = re.search(r"Syntax error in \S+ at line (\d+):", out)
    ids = re.findall(r"^([0-9a-f]{40})$", res.stdout, flags=re.M) if res.returncode == 0 else []
    return SqitchVerdict(res.returncode == 0, ids, int(m.group(1)) if m else None, out)


def _sqitch_objects(roots: list[Path]) -> dict[Path, SqitchObjects | None]:
    res = subprocess.run(["perl", "-e", PLAN_DUMP, *map(str, roots)],
                         env=cli_env(), capture_output=True, text=True, timeout=300, check=True)
    found: dict[Path, SqitchObjects | None] = {}
    current: Path | None = None
    for line in res.stdout.splitlines():
        kind, *rest = line.split("\t")
        if kind == "case":
            current = Path(rest[0])
            found[current] = SqitchObjects([], [])
        elif kind == "error":
            assert current is not None
            found[current] = None
        else:
            entry = found[current]  # type: ignore[index]
            assert entry is not None
            (entry.changes if kind == "change" else entry.tags).append((rest[0], rest[1]))
    return found


@pytest.fixture(scope="module")
def sqitch_results(tmp_path_factory) -> dict[str, tuple[Path, SqitchVerdict, SqitchObjects | None]]:
    """Every case through `sqitch plan` (in parallel: each run costs Perl's start-up) and the
    valid ones through App::Sqitch's plan objects in one Perl process."""
    base = tmp_path_factory.mktemp("conformance")
    roots = {case.id: _write(base / case.id, case) for case in CASES}
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = dict(zip(roots, pool.map(_sqitch_plan, roots.values()), strict=True))
    objects = _sqitch_objects([roots[c.id] for c in CASES if c.valid])
    return {cid: (roots[cid], verdicts[cid], objects.get(roots[cid])) for cid in roots}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parser_agrees_with_sqitch(case: Case, sqitch_results):
    root, sqitch, objects = sqitch_results[case.id]
    plan_path = root / "db" / "sqitch.plan"
    if case.valid:
        assert sqitch.ok, f"sqitch refused a plan the table calls valid:\n{sqitch.output}"
        ours = plan_mod.load(plan_path)
        assert [c.id for c in ours.changes] == sqitch.change_ids
        assert objects is not None
        assert [(c.id, str(ours.script(c, "deploy").relative_to(root / "db"))) for c in ours.changes] \
            == objects.changes
        assert [(t.id, t.format_name) for t in ours.tags] == objects.tags
        return
    assert not sqitch.ok, f"sqitch accepted a plan the table calls invalid:\n{sqitch.output}"
    with pytest.raises(PlanError) as exc:
        plan_mod.load(plan_path)
    message = str(exc.value)
    assert "\n" not in message
    if case.error_line:
        assert message.startswith(f"{plan_path}:{case.error_line}: "), message
    else:
        assert message.startswith(f"{plan_path}: "), message
    if case.sqitch_line:
        assert sqitch.line == case.error_line, sqitch.output
    else:
        assert sqitch.line is None, sqitch.output
