"""Analysis of simulation results."""

from ._neuron import PATTERNS as PATTERNS
from ._neuron import adaptation_index as adaptation_index
from ._neuron import classify_firing_pattern as classify_firing_pattern
from ._neuron import detect_bursts as detect_bursts
from ._neuron import fi_curve as fi_curve
from ._neuron import rheobase as rheobase
