"""Synapses: kernels, current- and conductance-based channels, short-term plasticity."""

from ._kernels import AbstractKernel as AbstractKernel
from ._kernels import Alpha as Alpha
from ._kernels import Delta as Delta
from ._kernels import DiffExp as DiffExp
from ._kernels import Exponential as Exponential
from ..plasticity._stp import STPState as STPState
from ..plasticity._stp import TsodyksMarkram as TsodyksMarkram
from ._synapse import ConductanceSynapse as ConductanceSynapse
from ._synapse import CurrentSynapse as CurrentSynapse
