"""`python -m skill.tryout`: serve the try page on 127.0.0.1 (what `./dev try` runs; see server.py)."""

from skill.tryout.server import main

raise SystemExit(main())
