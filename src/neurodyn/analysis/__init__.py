"""Analysis of simulation results and of model dynamics."""

from . import dynamics as dynamics
