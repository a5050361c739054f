"""Spike-train analysis: the :class:`SpikeTrains` container, rates, variability, correlations, generators.

Everything here works on any spike data (a ``neurodyn.Result``, arrays, lists of per-unit
spike times, ``neo.SpikeTrain`` lists through :mod:`neurodyn.io`). Times in ms, rates in Hz.
Conventions relative to Elephant are listed in ARCHITECTURE.md ("Spike-train analysis").
"""

from ._binning import bin_counts as bin_counts
from ._correlation import autocorrelogram as autocorrelogram
from ._correlation import correlation_coefficient as correlation_coefficient
from ._correlation import covariance as covariance
from ._correlation import cross_correlogram as cross_correlogram
from ._correlation import cross_correlograms as cross_correlograms
from ._correlation import spike_triggered_average as spike_triggered_average
from ._correlation import synchrony_chi as synchrony_chi
from ._generators import gamma as gamma
from ._generators import inhomogeneous_poisson as inhomogeneous_poisson
from ._generators import poisson as poisson
from ._generators import poisson_dead_time as poisson_dead_time
from ._rates import Kernel as Kernel
from ._rates import Signal as Signal
from ._rates import instantaneous_rate as instantaneous_rate
from ._rates import mean_firing_rate as mean_firing_rate
from ._rates import psth as psth
from ._rates import time_histogram as time_histogram
from ._spiketrains import SpikeTrains as SpikeTrains
from ._spiketrains import as_spiketrains as as_spiketrains
from ._summary import summarize as summarize
from ._variability import cv as cv
from ._variability import cv2 as cv2
from ._variability import fano_factor as fano_factor
from ._variability import isi as isi
from ._variability import isi_distribution as isi_distribution
from ._variability import isi_pooled as isi_pooled
from ._variability import lv as lv
from ._variability import lvr as lvr
