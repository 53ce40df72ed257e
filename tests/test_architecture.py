"""The folders of skill/ are its layers: imports point only downward, files stay readable.

Walks the real import statements of every module in skill/ (with the ast module, so nothing is
imported or run) and fails on an import that points up a layer or into webservice from below, on a
module outside a folder (except app.py), and on a file over 300 lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import skill

SKILL_DIR = Path(skill.__file__).parent
# Top to bottom. A layer may import itself and any layer after it in this list.
LAYERS = ("tryout", "console", "app", "webservice", "serverless", "alexa", "conversation", "progress", "workout", "persistence",
          "content", "speech")
MAX_LINES = 300
# Files still being split (each entry must go; the test fails when a listed file is already short).
SPLIT_PENDING: set[str] = set()


def modules() -> list[Path]:
    return sorted(p for p in SKILL_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(path: Path) -> str:
    relative = path.relative_to(SKILL_DIR)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem


def imported_layers(path: Path) -> set[tuple[str, int]]:
    """(layer, line) for every `skill.<layer>` a module imports, at any depth (lazy imports too)."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "skill" and len(parts) > 1 and parts[1] in LAYERS:
                found.add((parts[1], node.lineno))
    return found


def test_every_module_lives_in_a_layer_folder() -> None:
    """Only app.py and the package's own __init__ sit at the top of skill/."""
    loose = [p.name for p in SKILL_DIR.glob("*.py") if p.name not in ("__init__.py", "app.py")]
    assert not loose, f"move {loose} into the folder of its layer ({', '.join(LAYERS)})"
    folders = {p.name for p in SKILL_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(LAYERS) - {"app"}, "a new folder is a new layer: add it to LAYERS in order"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SKILL_DIR)))
def test_imports_point_only_downward(path: Path) -> None:
    """A module imports only its own layer and the layers below it."""
    own = layer_of(path)
    if own == "__init__":
        return
    rank = LAYERS.index(own)
    upward = sorted((layer, line) for layer, line in imported_layers(path) if LAYERS.index(layer) < rank)
    assert not upward, (f"{path.relative_to(SKILL_DIR)} ({own}) imports from the layer(s) above it: "
                        + ", ".join(f"skill.{layer} at line {line}" for layer, line in upward)
                        + "; move the shared piece down, or pass it in from above")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SKILL_DIR)))
def test_no_file_is_over_300_lines(path: Path) -> None:
    """A file a newcomer can read in one go."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if str(path.relative_to(SKILL_DIR)) in SPLIT_PENDING:
        assert lines > MAX_LINES, f"{path.relative_to(SKILL_DIR)} is short now: remove it from SPLIT_PENDING"
        return
    assert lines <= MAX_LINES, f"{path.relative_to(SKILL_DIR)} has {lines} lines; split it by concept"


def test_the_import_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The walker sees imports inside functions too (a check that cannot fail is no check)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from skill.alexa.turn import DialogueHandler\n", encoding="utf-8")
    assert ("alexa", 2) in imported_layers(module)


def test_every_layer_folder_says_what_lives_there() -> None:
    """Each folder opens with a docstring naming what it holds (and what it may import)."""
    for layer in set(LAYERS) - {"app"}:
        init = SKILL_DIR / layer / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"write a docstring in skill/{layer}/__init__.py saying what lives there"


def test_the_readme_layout_names_every_folder_and_only_those() -> None:
    """README.md's Layout map has one line per folder of skill/ (and app.py), and names nothing that is gone."""
    readme = (SKILL_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```\n(skill/\n.*?)```", section, re.S)
    named = re.findall(r"^  ([a-z_]+(?:/|\.py))\s", block, re.M)
    folders = sorted(f"{p.name}/" for p in SKILL_DIR.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert sorted(named) == sorted([*folders, "app.py"]), "update README.md's Layout: one line per folder of skill/"
    assert len(named) == len(set(named)), "a folder is named twice in README.md's Layout"
