"""Foot Coach's benchmark: `./dev bench` (``python -m bench``); see bench/README.md.

Kept import-free so that ``python -m bench.startup`` can time the project's imports from zero.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
