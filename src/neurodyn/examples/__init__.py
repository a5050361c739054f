"""Reference networks, ready to simulate: ``coba()``, ``cuba()``, ``brunel(regime)``.

Each returns ``(network, inputs)``; run with
``nd.simulate(net, duration, net.dt, inputs=inputs)``.
"""

from ._networks import BRUNEL_REGIMES as BRUNEL_REGIMES
from ._networks import brunel as brunel
from ._networks import classify_brunel as classify_brunel
from ._networks import coba as coba
from ._networks import cuba as cuba
