"""Spiking point neurons."""

from ._lif import LIF as LIF, LIFState as LIFState
