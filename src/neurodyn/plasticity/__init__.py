"""Plasticity: rules that change synapses while a network runs (see ``_rule`` for the protocol)."""

from ._rule import AbstractRule as AbstractRule
from ._stdp import STDP as STDP
from ._hebbian import Hebbian as Hebbian
from ._stp import STPState as STPState
from ._stp import TsodyksMarkram as TsodyksMarkram
