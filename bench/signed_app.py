"""Server entry point for the benchmark: the real Foot Coach app, trusting the benchmark's test CA.

``create_app`` builds exactly what ``skill.app:create_app()`` builds, with one difference: its
SignatureVerifier trusts only the root in the PEM file named by FOOT_COACH_BENCH_TRUSTED_ROOT and
reads the chain from the file named by FOOT_COACH_BENCH_CHAIN instead of downloading it.
Verification is forced on. Without both variables it refuses to start, so it cannot be mistaken
for a production entry point (the Procfile uses skill.app, and this package is not installed
with the project). ``create_served_app`` is the same behind the Gate (skill/webservice/gate.py), as the Procfile
serves the skill.

For ``./dev bench --ablation`` only, FOOT_COACH_BENCH_WITHOUT names parts to leave out (storage,
verification, log), so that one run shows what each of them costs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.webservice.request_log import LOGGER_NAME

ROOT_ENV = "FOOT_COACH_BENCH_TRUSTED_ROOT"
CHAIN_ENV = "FOOT_COACH_BENCH_CHAIN"
# For `./dev bench --ablation` only: comma-separated parts to leave out, to measure what each costs.
WITHOUT_ENV = "FOOT_COACH_BENCH_WITHOUT"
PARTS = ("storage", "verification", "log")
# For bench.memory only: "1" serves the chain for every certificate URL, not just the benchmark's one.
ANY_URL_ENV = "FOOT_COACH_BENCH_ANY_CHAIN_URL"


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
    without = parts_left_out(os.environ.get(WITHOUT_ENV, ""))
    roots = x509.load_pem_x509_certificates(Path(root_file).read_bytes())
    # For bench.memory: the chain is served under any URL Amazon's rules allow, so each new URL costs a download.
    fetch = AnyChainUrl(chain_file) if os.environ.get(ANY_URL_ENV) == "1" else LocalChain(CHAIN_URL, chain_file)
    verifier = SignatureVerifier(trusted_roots=roots, fetch=fetch)
    config: dict[str, Any] = {"SIGNATURE_VERIFIER": verifier, "SKILL_VERIFY_SIGNATURES": "verification" not in without}
    if "storage" in without:
        config["STORE"] = NoStorage()
    if "log" in without:
        # A level of its own: the webhook then adds no handler and writes no request lines.
        logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)
    return create_skill_app(config)


def create_served_app() -> Any:
    """create_app() as the Procfile serves the skill's app: behind the Gate (skill/webservice/gate.py)."""
    from skill.webservice.gate import gated

    return gated(create_app())


def parts_left_out(value: str) -> set[str]:
    """The parts named in FOOT_COACH_BENCH_WITHOUT.

    Raises:
        RuntimeError: a name is not one of PARTS.
    """
    names = {name.strip() for name in value.split(",") if name.strip()}
    if names - set(PARTS):
        raise RuntimeError(f"{WITHOUT_ENV}: unknown parts {sorted(names - set(PARTS))}; choose from {PARTS}")
    return names


class NoStorage(AbstractPersistenceAdapter):
    """Keeps nothing: every user is new on every turn. Only for measuring what storage costs."""

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        return {}

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        pass

    def delete_attributes(self, request_envelope: Any) -> None:
        pass

    def update_attributes(self, request_envelope: Any, change: Callable[[dict[str, Any]], dict[str, Any]],
                          attempts: int = 8, *, read: Any = None) -> dict[str, Any]:
        return change({})

    def ping(self, wait: float = 2.0) -> bool:
        return True

    def last_write(self) -> None:
        return None

    def ensure_schema(self) -> None:
        pass

    def close(self) -> None:
        pass


class AnyChainUrl:
    """A verifier `fetch` that serves one chain file for every URL (each new URL is a cache miss)."""

    def __init__(self, path: str) -> None:
        self.chain = Path(path).read_bytes()

    def __call__(self, url: str) -> bytes:
        return self.chain
