"""Finding 7: a worker's memory stops growing, whatever certificate URLs and user ids requests name.

Drives up to 20,000 requests, each with a new SignatureCertChainUrl and a new user id, through one
real gunicorn worker with verification on (bench.memory), and samples the worker's RSS. Every cache
keyed by request data is bounded (certificate URLs and chains, user hashes, planned turns, the speech
memo), so after the first half the RSS must stay flat. Bounded in time: at most 50 s of requests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.memory import growth, run_memory  # noqa: E402

pytestmark = pytest.mark.e2e
FLAT_KIB = 1536          # allowance for the allocator after the first half
TOTAL_KIB = 12 * 1024    # the caches filling up, first half included


def test_rss_stops_growing_with_distinct_certificate_urls_and_users() -> None:
    report = run_memory(requests=20_000, seconds=50)
    assert report["requests"] >= 4_000, f"too few requests to tell ({report['requests']}): is the machine overloaded?"
    assert set(report["statuses"]) <= {200, 400}, report["statuses"]
    assert report["statuses"].get(200, 0) >= report["requests"] // 25   # the signed ones went through the skill
    grew = growth(report)
    assert grew["second_half"] <= FLAT_KIB, (grew, report["rss_kib"])
    assert report["rss_kib"][-1] - report["rss_kib"][0] <= TOTAL_KIB, report["rss_kib"]
