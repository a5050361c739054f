"""Firing-rate networks, linear networks through their eigenmodes, spike-to-rate reduction."""

from ._linear import Eigenmodes as Eigenmodes
from ._linear import LinearRateNetwork as LinearRateNetwork
from ._linear import ModeRegime as ModeRegime
from ._linear import Regimes as Regimes
from ._siegert import Siegert as Siegert
from ._siegert import siegert_rate as siegert_rate
from ._transfer import Linear as Linear
from ._transfer import ReLU as ReLU
from ._transfer import SaturatingLinear as SaturatingLinear
from ._transfer import Sigmoid as Sigmoid
from ._transfer import Tabulated as Tabulated
from ._transfer import Tanh as Tanh
from ._transfer import ThresholdPower as ThresholdPower
