"""Every shell script of the project is shellcheck clean (sourced files followed with -x)."""
from __future__ import annotations

import subprocess

from .deploy_support import REPO, need

SCRIPTS = sorted(p for p in (REPO / "deploy").iterdir() if p.is_file() and p.read_text(errors="replace").startswith("#!"))


def test_deploy_shellcheck_clean():
    tool = need("shellcheck")
    assert {p.name for p in SCRIPTS} >= {"install-kiosk.sh", "install-admin.sh", "backup-admin.sh", "restore-admin.sh",
                                         "move-outbox.sh", "hailong-kiosk", "run-demo.sh"}
    done = subprocess.run([tool, "-x", "deploy/lib.sh", *(str(p.relative_to(REPO)) for p in SCRIPTS)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    print(f"\nshellcheck clean: {len(SCRIPTS) + 1} scripts")
