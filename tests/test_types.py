"""mypy checks skill/ with every test run (settings in pyproject.toml's [tool.mypy]).

The handlers depend on persistence.protocol.ProgressStore, not on the SDK's abstract adapter, and
this is where a backend or a call site that breaks that contract fails. No ``# type: ignore`` is
allowed in skill/: fix the type, or use a typed approach and say why in a comment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import skill

ROOT = Path(skill.__file__).resolve().parents[1]


def test_mypy_passes_on_skill() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "skill"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"mypy found type errors in skill/:\n{done.stdout}{done.stderr}"


def test_no_type_ignore_comments_in_skill() -> None:
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted((ROOT / "skill").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if "type: ignore" in line]
    assert not found, f"remove the '# type: ignore' at {', '.join(found)} and fix the type instead"
