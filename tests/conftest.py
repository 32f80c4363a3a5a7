"""pytest configuration: hypothesis profiles, SIMD-target and thread-count fixtures."""

import os
import sys

import pytest

# The helpers (reference.py, helpers.py) live beside this file; make them importable
# whatever import mode pytest uses.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from hypothesis import HealthCheck, settings  # noqa: E402

import helpers  # noqa: E402

settings.register_profile(
    "default",
    deadline=None,
    max_examples=50,
    derandomize=True,  # the same examples on every run, so CI is stable
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "slow",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    # Also registered in pyproject.toml; repeating it keeps --strict-markers happy when the
    # suite is run from elsewhere.
    config.addinivalue_line("markers", "slow: large sweeps, deselect with -m 'not slow'")


@pytest.fixture
def assert_close():
    return helpers.assert_close


@pytest.fixture(params=helpers.ALL_TARGETS)
def simd_target(request):
    """Yields each SIMD target usable here (skips the others), restoring the active one."""
    import convcore._core as core

    name = request.param
    if name not in helpers.targets():
        pytest.skip(f"SIMD target {name!r} not compiled or not supported by this CPU")
    previous = core.get_target()
    core.set_target(name)
    try:
        assert core.get_target() == name
        yield name
    finally:
        core.set_target(previous)


@pytest.fixture
def restore_threads():
    """Restores convcore's thread setting after a test that changes it."""
    import convcore

    original = convcore.get_num_threads()
    try:
        yield original
    finally:
        convcore.set_num_threads(None)
        if convcore.get_num_threads() != original:
            convcore.set_num_threads(original)
