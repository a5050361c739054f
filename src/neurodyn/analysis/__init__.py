"""Analysis of simulation results and recorded data (spike trains, single-neuron
measurements), and of model dynamics (fixed points, stability, phase planes,
continuation, Lyapunov exponents: ``dynamics``)."""

from . import dynamics as dynamics
from . import spiketrains as spiketrains
from .spiketrains import bin_counts as bin_counts
from .spiketrains import autocorrelogram as autocorrelogram
from .spiketrains import correlation_coefficient as correlation_coefficient
from .spiketrains import covariance as covariance
from .spiketrains import cross_correlogram as cross_correlogram
from .spiketrains import cross_correlograms as cross_correlograms
from .spiketrains import spike_triggered_average as spike_triggered_average
from .spiketrains import synchrony_chi as synchrony_chi
from .spiketrains import gamma as gamma
from .spiketrains import inhomogeneous_poisson as inhomogeneous_poisson
from .spiketrains import poisson as poisson
from .spiketrains import poisson_dead_time as poisson_dead_time
from .spiketrains import Kernel as Kernel
from .spiketrains import Signal as Signal
from .spiketrains import instantaneous_rate as instantaneous_rate
from .spiketrains import mean_firing_rate as mean_firing_rate
from .spiketrains import psth as psth
from .spiketrains import time_histogram as time_histogram
from .spiketrains import SpikeTrains as SpikeTrains
from .spiketrains import as_spiketrains as as_spiketrains
from .spiketrains import summarize as summarize
from .spiketrains import cv as cv
from .spiketrains import cv2 as cv2
from .spiketrains import fano_factor as fano_factor
from .spiketrains import isi as isi
from .spiketrains import isi_distribution as isi_distribution
from .spiketrains import isi_pooled as isi_pooled
from .spiketrains import lv as lv
from .spiketrains import lvr as lvr

from ._neuron import PATTERNS as PATTERNS
from ._neuron import adaptation_index as adaptation_index
from ._neuron import classify_firing_pattern as classify_firing_pattern
from ._neuron import detect_bursts as detect_bursts
from ._neuron import fi_curve as fi_curve
from ._neuron import rheobase as rheobase
