"""Networks of populations and projections (one model for ``neurodyn.simulate``)."""

from ._network import Network as Network
from ._network import NetworkState as NetworkState
from ._network import Population as Population
from ._network import Projection as Projection
