"""Figures from results: each function returns a ``matplotlib.figure.Figure``."""

from ._basic import population_rate as population_rate
from ._basic import raster as raster
from ._basic import traces as traces
from ._memory import capacity_curves as capacity_curves
from ._memory import energy_descent as energy_descent
from ._memory import overlap_trajectories as overlap_trajectories
from ._memory import pattern_grid as pattern_grid
