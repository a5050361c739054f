"""Plasticity: rules that change synapses while a network runs (see ``_rule`` for the protocol)."""

from ._rule import AbstractRule as AbstractRule
from ._stdp import STDP as STDP
from ._hebbian import Hebbian as Hebbian
from ._stp import STPState as STPState
from ._stp import TsodyksMarkram as TsodyksMarkram
from ._stdp import AbstractPairSTDP as AbstractPairSTDP
from ._stdp import MultiplicativeSTDP as MultiplicativeSTDP
from ._triplet import TripletSTDP as TripletSTDP
from ._reward import RewardSTDP as RewardSTDP
from ._scaling import SynapticScaling as SynapticScaling
