"""Fixtures for the judge tests: our server, started per backend, spoken to by the official client."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ml_metadata as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_pb2  # noqa: E402
from mlmd_server import BACKENDS, BackendUnavailable, start_server  # noqa: E402


def _selected_backends():
    raw = os.environ.get("MLMD_TEST_BACKENDS", "").strip()
    return [b.strip() for b in raw.split(",") if b.strip()] if raw else list(BACKENDS)


def _start(backend):
    try:
        return start_server(backend)
    except BackendUnavailable as reason:
        if os.environ.get("CI"):
            pytest.fail(f"{backend} is required in CI: {reason}")
        pytest.skip(f"{backend}: {reason}")


def _client(server):
    """The official client, connected over gRPC exactly as users connect."""
    config = metadata_store_pb2.MetadataStoreClientConfig(host=server.host, port=server.port)
    return mlmd.MetadataStore(config)


@pytest.fixture(scope="session", params=_selected_backends())
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def server(backend):
    """Our server on a brand-new database of one backend, shared by the session's tests."""
    running = _start(backend)
    yield running
    running.stop()


@pytest.fixture
def store(server):
    return _client(server)


@pytest.fixture
def fresh_store(backend):
    """A server of its own on a brand-new database, for tests that need an empty store."""
    running = _start(backend)
    yield _client(running)
    running.stop()
