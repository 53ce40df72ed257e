"""Gunicorn entry point for the benchmark: the real Foot Coach app, trusting the benchmark's test CA.

``gunicorn "bench.signed_app:create_app()"`` builds exactly what ``skill.app:create_app()`` builds,
with one difference: its SignatureVerifier trusts only the root in the PEM file named by
FOOT_COACH_BENCH_TRUSTED_ROOT and reads the chain from the file named by FOOT_COACH_BENCH_CHAIN
instead of downloading it. Verification is forced on. Without both variables it refuses to start,
so it cannot be mistaken for a production entry point (the Procfile uses skill.app, and this
package is not installed with the project).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT_ENV = "FOOT_COACH_BENCH_TRUSTED_ROOT"
CHAIN_ENV = "FOOT_COACH_BENCH_CHAIN"


def create_app() -> Any:
    """Build the production app with a verifier for the benchmark's CA.

    Raises:
        RuntimeError: either environment variable is missing.
    """
    from cryptography import x509

    from bench.fixtures import CHAIN_URL, LocalChain
    from skill.app import create_app as create_skill_app
    from skill.webservice.verifier import SignatureVerifier

    root_file, chain_file = os.environ.get(ROOT_ENV), os.environ.get(CHAIN_ENV)
    if not root_file or not chain_file:
        raise RuntimeError(f"bench.signed_app is for the benchmark only: set {ROOT_ENV} and {CHAIN_ENV}")
    roots = x509.load_pem_x509_certificates(Path(root_file).read_bytes())
    verifier = SignatureVerifier(trusted_roots=roots, fetch=LocalChain(CHAIN_URL, chain_file))
    return create_skill_app({"SIGNATURE_VERIFIER": verifier, "SKILL_VERIFY_SIGNATURES": True})
