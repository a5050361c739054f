"""Figures (matplotlib ``Figure`` objects, no pyplot state)."""

from ._dynamics import bifurcation_diagram as bifurcation_diagram
from ._dynamics import eigenvalue_spectrum as eigenvalue_spectrum
from ._dynamics import phase_portrait as phase_portrait
from ._dynamics import rate_traces as rate_traces
