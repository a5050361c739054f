"""Figures from results: each function returns a ``matplotlib.figure.Figure``."""

from ._basic import population_rate as population_rate
from ._basic import raster as raster
from ._basic import traces as traces
