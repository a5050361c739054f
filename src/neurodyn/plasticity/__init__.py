"""Plasticity: rules that change synapses while a network runs (see ``_rule`` for the protocol)."""

from ._rule import AbstractRule as AbstractRule
from ._stdp import STDP as STDP
from ._hebbian import Hebbian as Hebbian
from ._hebbian import Covariance as Covariance
from ._pca import Oja as Oja
from ._pca import Sanger as Sanger
from ._bcm import BCM as BCM
from ._foldiak import AntiHebbian as AntiHebbian
from ._stp import STPState as STPState
from ._stp import TsodyksMarkram as TsodyksMarkram
from ._stdp import AbstractPairSTDP as AbstractPairSTDP
from ._stdp import MultiplicativeSTDP as MultiplicativeSTDP
from ._triplet import TripletSTDP as TripletSTDP
from ._reward import RewardSTDP as RewardSTDP
from ._scaling import SynapticScaling as SynapticScaling
