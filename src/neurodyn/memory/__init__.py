"""Associative memories: classical Hopfield networks (binary and continuous time),
dense associative memories and modern (continuous) Hopfield networks, with the
classic experiments (capacity, basins, spurious states, pattern completion)."""

from ._dense import DenseAssociativeMemory as DenseAssociativeMemory
from ._hopfield import Hopfield as Hopfield
from ._hopfield import RecallResult as RecallResult
from ._hopfield import corrupt as corrupt
from ._hopfield import flip_exact as flip_exact
from ._hopfield import random_patterns as random_patterns
from ._modern import ModernHopfield as ModernHopfield
from ._modern import ModernHopfieldLayer as ModernHopfieldLayer
