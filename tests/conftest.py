import os

os.environ.setdefault("NEURODYN_NO_COMPILATION_CACHE", "1")  # tests measure compilation as users see it

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def x64():
    """Run a test in float64 (analytic comparisons)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def on_cpu():
    """Run a test on the CPU device: the C++ kernels' own tests, also on a machine with a GPU."""
    with jax.default_device(jax.devices("cpu")[0]):
        yield
