"""Figures from results and spike trains: each function returns a ``matplotlib.figure.Figure``."""

from ._basic import population_rate as population_rate
from ._basic import resolving_bin_size as resolving_bin_size
from ._basic import raster as raster
from ._basic import traces as traces
from ._memory import capacity_curves as capacity_curves
from ._memory import energy_descent as energy_descent
from ._memory import overlap_trajectories as overlap_trajectories
from ._memory import pattern_grid as pattern_grid
from ._dynamics import bifurcation_diagram as bifurcation_diagram
from ._dynamics import eigenvalue_spectrum as eigenvalue_spectrum
from ._dynamics import phase_portrait as phase_portrait
from ._dynamics import rate_traces as rate_traces
from ._spikes import correlogram as correlogram
from ._spikes import cv_distribution as cv_distribution
from ._spikes import isi_histogram as isi_histogram
from ._spikes import psth as psth
from ._spikes import spike_raster as spike_raster
from ._spikes import summary as summary
