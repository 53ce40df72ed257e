"""Fixtures shared by the verification tests: a test authority, its signing leaf, a chain server."""

from __future__ import annotations

import pytest
from signing import CHAIN_URL, CertificateAuthority, ChainServer, Leaf


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    """A test root and intermediate, valid around signing.NOW."""
    return CertificateAuthority()


@pytest.fixture(scope="module")
def leaf(ca: CertificateAuthority) -> Leaf:
    """An echo-api-like signing certificate from `ca`."""
    return ca.issue()


@pytest.fixture
def server(leaf: Leaf) -> ChainServer:
    """A chain server publishing `leaf`'s chain at CHAIN_URL."""
    chains = ChainServer()
    chains.publish(CHAIN_URL, leaf.chain_pem())
    return chains
