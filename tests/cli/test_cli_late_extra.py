"""A dependency imported late (boto3, only for an s3:// destination) is named with its extra.

`backup` loads without boto3 (a directory destination needs only cryptography); an S3 destination
imports it when used. Without it the verb says which extra installs it, one line, exit 3 — not the
generic "internal" line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from support import ROOT

BLOCK = textwrap.dedent("""
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("boto3", "botocore"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Block())
    from lokdarpan_db.cli import run
    sys.exit(run(sys.argv[1:]))
""")


def test_an_s3_destination_without_boto3_names_the_backup_extra(tmp_path):
    res = subprocess.run(
        [sys.executable, "-c", BLOCK, "backup", "--dest", "s3://bucket/prefix", "list"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AWS_ACCESS_KEY_ID": "x",
             "AWS_SECRET_ACCESS_KEY": "y", "HOME": str(tmp_path)},
    )
    assert res.returncode == 3, res.stderr
    assert re.fullmatch(
        r"error: backup needs the 'backup' extra: pip install 'lokdarpan-db\[backup\]' "
        r"\((boto3|botocore) is not installed\)", res.stderr.strip()), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
