"""./dev models: write interaction_model/<locale>.json for every locale, after checking the build rules.

Each model is built by skill.content.models from the en-US base, the locale's differences and its
exercise catalog, and checked by skill.content.model_rules. ``--check`` writes nothing and fails when
a committed file is not what would be written (tests/test_models.py runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from skill.content.catalog import SUPPORTED_LOCALES
from skill.content.model_rules import check_model
from skill.content.models import build_model, model_text

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "interaction_model"


def expected_files(model_dir: Path = MODEL_DIR) -> dict[Path, str]:
    """Every model file and the text it should have.

    Raises:
        SystemExit: a model breaks a build rule (every violation is printed, rule named).
    """
    files: dict[Path, str] = {}
    problems: list[str] = []
    for locale in SUPPORTED_LOCALES:
        model = build_model(locale)
        problems += [str(v) for v in check_model(model, locale)]
        files[model_dir / f"{locale}.json"] = model_text(model)
    if problems:
        raise SystemExit("The Alexa model build would refuse these:\n  " + "\n  ".join(problems))
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) every locale's model; returns the exit status."""
    parser = argparse.ArgumentParser(prog="./dev models", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a file is out of date")
    args = parser.parse_args(argv)
    files = expected_files()
    stale = sorted(path.name for path, text in files.items()
                   if not path.exists() or path.read_text(encoding="utf-8") != text)
    strays = sorted(p.name for p in MODEL_DIR.glob("*.json") if p not in files)
    if args.check:
        if stale or strays:
            print(f"out of date: {stale}, not from any locale: {strays}; run ./dev models", file=sys.stderr)
            return 1
        print(f"interaction_model/ is current ({len(files)} locales)")
        return 0
    MODEL_DIR.mkdir(exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    for name in strays:
        (MODEL_DIR / name).unlink()
    print(f"wrote interaction_model/ for {', '.join(SUPPORTED_LOCALES)}"
          + (f" (changed: {', '.join(stale)})" if stale else " (no changes)")
          + (f"; removed {', '.join(strays)}" if strays else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
