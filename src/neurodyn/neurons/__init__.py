"""Spiking point neurons, built by composition: membrane dynamics + parts."""

from ._adaptive import AdaptiveLIF as AdaptiveLIF
from ._base import SpikingNeuron as SpikingNeuron
from ._custom import Custom as Custom
from ._custom import CustomState as CustomState
from ._exponential import AdEx as AdEx
from ._exponential import ExpIF as ExpIF
from ._exponential import QIF as QIF
from ._hh import HHState as HHState
from ._hh import HodgkinHuxley as HodgkinHuxley
from ._hh import TraubMiles as TraubMiles
from ._hh import WangBuzsaki as WangBuzsaki
from ._generator import GeneratorState as GeneratorState
from ._generator import PoissonSource as PoissonSource
from ._generator import PoissonState as PoissonState
from ._generator import SpikeGenerator as SpikeGenerator
from ._if import IFState as IFState
from ._izhikevich import Izhikevich as Izhikevich
from ._izhikevich import IzhikevichState as IzhikevichState
from ._lif import LIF as LIF
from ._lif import LIFState as LIFState
from ._parts import AbstractPart as AbstractPart
from ._parts import Adaptation as Adaptation
from ._parts import Noise as Noise
from ._two_compartment import TwoCompartment as TwoCompartment
from ._two_compartment import TwoCompartmentState as TwoCompartmentState
from ._two_compartment import nmda_channel as nmda_channel
