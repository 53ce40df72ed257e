"""`python -m skill.console`: the local text console (see repl.py)."""

from skill.console.repl import main

raise SystemExit(main())
