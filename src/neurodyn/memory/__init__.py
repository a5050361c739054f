"""Associative memories: classical Hopfield networks (binary and continuous time),
dense associative memories and modern (continuous) Hopfield networks, with the
classic experiments (capacity, basins, spurious states, pattern completion)."""

from ._continuous import ContinuousHopfield as ContinuousHopfield
from ._continuous import ContinuousHopfieldState as ContinuousHopfieldState
from ._dense import DenseAssociativeMemory as DenseAssociativeMemory
from ._dense import DenseState as DenseState
from ._hopfield import Hopfield as Hopfield
from ._hopfield import MemoryState as MemoryState
from ._hopfield import RecallResult as RecallResult
from ._hopfield import corrupt as corrupt
from ._hopfield import flip_exact as flip_exact
from ._hopfield import random_patterns as random_patterns
from ._modern import ModernHopfield as ModernHopfield
from ._modern import ModernHopfieldLayer as ModernHopfieldLayer
from ._modern import ModernState as ModernState
from ._experiments import Basin as Basin
from ._experiments import CapacityCurve as CapacityCurve
from ._experiments import DamCapacity as DamCapacity
from ._experiments import DigitsCompletion as DigitsCompletion
from ._experiments import SpuriousStates as SpuriousStates
from ._experiments import basin_of_attraction as basin_of_attraction
from ._experiments import capacity_curve as capacity_curve
from ._experiments import classify_states as classify_states
from ._experiments import dam_capacity as dam_capacity
from ._experiments import digits_completion as digits_completion
from ._experiments import load_digit_patterns as load_digit_patterns
from ._experiments import spurious_states as spurious_states
