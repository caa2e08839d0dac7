"""Fixtures for the cross-implementation tests (upstream's library vs our server)."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import CROSS_BACKENDS, SharedDatabase  # noqa: E402
from mlmd_server import BackendUnavailable  # noqa: E402


def _selected():
    raw = os.environ.get("MLMD_TEST_BACKENDS", "").strip()
    wanted = [b.strip() for b in raw.split(",") if b.strip()] if raw else list(CROSS_BACKENDS)
    return [b for b in CROSS_BACKENDS if b in wanted]


@pytest.fixture(scope="module", params=_selected())
def cross_backend(request):
    return request.param


@pytest.fixture
def shared_db(cross_backend, tmp_path):
    """A brand-new, empty database both implementations can reach."""
    try:
        return SharedDatabase.fresh(cross_backend, tmp_path)
    except BackendUnavailable as reason:
        if os.environ.get("CI"):
            pytest.fail(f"{cross_backend} is required in CI: {reason}")
        pytest.skip(f"{cross_backend}: {reason}")
