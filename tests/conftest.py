import mpmath as mp
import pytest


@pytest.fixture(autouse=True)
def _restore_mp_precision():
    """Tests must not leak mp.dps into each other."""
    dps = mp.mp.dps
    yield
    mp.mp.dps = dps
