import os

os.environ.setdefault("NEURODYN_NO_COMPILATION_CACHE", "1")  # tests measure compilation as users see it

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def x64():
    """Run a test in float64 (analytic comparisons)."""
    with jax.enable_x64(True):
        yield
