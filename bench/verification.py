"""Request verification alone: the signature check with a warm certificate cache, and what a miss costs.

Warm means the chain for the request's URL was validated once already, as it is for every request
after a worker's first: what is left per request is parsing two headers, checking the URL, and one
RSA-2048 signature verification over the body (timed on its own too, as the floor).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from bench import fixtures
from bench.fixtures import BenchAuthority
from bench.stats import summarise


def _time_calls(call: Any, iterations: int) -> list[int]:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(iterations):
        t0 = clock()
        call()
        samples.append(clock() - t0)
    return samples


def run(ca: BenchAuthority, *, iterations: int, cold_iterations: int) -> dict[str, Any]:
    """Time the warm signature check, the full verifier chain, the bare RSA check, and a cold chain validation."""
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

    from skill.webservice.cert_chain_url import canonical_cert_url
    from skill.webservice.verifier import ApplicationIdVerifier, TimestampVerifier

    body = fixtures.encode(fixtures.start_exercise("toe_press", "toe presses"))
    headers, text = ca.sign(body), body.decode("utf-8")
    envelope = DefaultSerializer().deserialize(text, RequestEnvelope)
    verifier = ca.verifier()

    started = time.perf_counter_ns()
    verifier.verify(headers, text, envelope)  # first request: download (a local file) and validate the chain
    first_ns = time.perf_counter_ns() - started

    for _ in range(200):
        verifier.verify(headers, text, envelope)
    signature = _time_calls(lambda: verifier.verify(headers, text, envelope), iterations)

    chain = [verifier, TimestampVerifier(), ApplicationIdVerifier(fixtures.SKILL_ID)]

    def all_checks() -> None:
        for check in chain:
            check.verify(headers, text, envelope)

    every_check = _time_calls(all_checks, iterations)

    leaf = verifier._trusted_leaf(canonical_cert_url(fixtures.CHAIN_URL))  # the cached public key
    raw_signature = base64.b64decode(headers[fixtures.SIGNATURE_HEADER])
    rsa_only = _time_calls(lambda: leaf.public_key.verify(raw_signature, body, PKCS1v15(), hashes.SHA256()),
                           iterations)

    pem = ca.chain_pem.read_bytes()
    cold = _time_calls(lambda: verifier.validate_chain(pem), cold_iterations)
    return {
        "iterations": iterations,
        "body_bytes": len(body),
        "warm_signature_us": summarise(signature),
        "warm_all_checks_us": summarise(every_check),
        "rsa_verify_only_us": summarise(rsa_only),
        "cold_chain_validation_ms": summarise(cold, "ms"),
        "first_request_ms": first_ns / 1e6,
    }
