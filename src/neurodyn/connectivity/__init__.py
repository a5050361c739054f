"""Connectivity: builders, compact sparse storage (CSR, int32), event-driven propagation.

Builders describe which synapses exist and are drawn when a ``neurodyn.Network`` is
built: ``all_to_all``, ``fixed_probability``, ``fixed_indegree``, ``fixed_outdegree``,
``distance`` (ring or 2-D sheet), ``from_dense``, ``from_scipy``. Weights and delays
are scalars, arrays ``(n_pre, n_post)`` or distributions (``normal``, ``uniform``,
``lognormal``).

``WithSynapses``, ``ExpCurrent``, ``ExpConductance`` and ``Delta`` are shorthands for a
neuron's synaptic parts (``neurodyn.synapses``), the channels projections target.
"""

from ._builders import Connectivity as Connectivity
from ._builders import Distribution as Distribution
from ._builders import all_to_all as all_to_all
from ._builders import distance as distance
from ._builders import fixed_indegree as fixed_indegree
from ._builders import fixed_outdegree as fixed_outdegree
from ._builders import fixed_probability as fixed_probability
from ._builders import from_dense as from_dense
from ._builders import from_scipy as from_scipy
from ._builders import lognormal as lognormal
from ._builders import normal as normal
from ._builders import uniform as uniform
from ._ffi import available as kernel_available
from ._sparse import CSR as CSR
from ._synaptic import Delta as Delta
from ._synaptic import ExpConductance as ExpConductance
from ._synaptic import ExpCurrent as ExpCurrent
from ._synaptic import WithSynapses as WithSynapses
