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
from ._network import CurrentState as CurrentState
from ._network import PlasticCurrentState as PlasticCurrentState
from ._network import PlasticRateState as PlasticRateState
from ._network import RateNetwork as RateNetwork
from ._network import RateState as RateState
from ._linear import LinearState as LinearState
from ._reduction import LIFRateComparison as LIFRateComparison
from ._reduction import SynapticRateNetwork as SynapticRateNetwork
from ._reduction import SynapticRateState as SynapticRateState
from ._reduction import compare_lif_rate as compare_lif_rate
from ._reduction import measure_fi_curve as measure_fi_curve
from ._siegert import lif_rate as lif_rate
from ._siegert import poisson_diffusion as poisson_diffusion
