r"""External drives: currents (pA) for neurons, inputs ``h`` for rate models.

Every input is an immutable module with three methods used by the engine:

- ``init_state(key, shape)``: its own state (noise processes), or ``None``;
- ``update(state, t, dt, key)``: once per step, at the start of the step (new draws);
- ``value(state, t, dt)``: the input at time ``t`` inside the step. Deterministic inputs
  are evaluated at ``t`` (so RK4 sees them at its stage times); stochastic ones are held
  over the step.

Values are scalars (shared by all neurons) or arrays of the model's input shape
(per neuron). Stochastic inputs draw independent values per neuron unless
``shared=True``. Inputs add: ``constant(200.0) + white_noise(sigma=50.0)``.
"""

# Defined in engine/_inputs.py, so the engine imports nothing above it.
from .engine._inputs import *  # noqa: F403 (the names of its __all__)
from .engine._inputs import __all__ as __all__


def __dir__():
    # the public inputs only: no imported modules in dir(nd.inputs)
    return sorted(__all__)
