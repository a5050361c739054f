"""Fixed points, stability, phase planes, continuation, Lyapunov exponents and spectra of
smooth dynamical systems (see :mod:`neurodyn.analysis._dynamics`)."""

from ._dynamics import Bifurcation as Bifurcation
from ._dynamics import Branch as Branch
from ._dynamics import CircularLaw as CircularLaw
from ._dynamics import FixedPoints as FixedPoints
from ._dynamics import PhasePortrait as PhasePortrait
from ._dynamics import as_vector_field as as_vector_field
from ._dynamics import circular_law as circular_law
from ._dynamics import classify as classify
from ._dynamics import continuation as continuation
from ._dynamics import fixed_points as fixed_points
from ._dynamics import jacobian as jacobian
from ._dynamics import lyapunov_exponent as lyapunov_exponent
from ._dynamics import nullclines as nullclines
from ._dynamics import phase_portrait as phase_portrait
from ._dynamics import random_connectivity as random_connectivity
from ._dynamics import spectrum as spectrum
from ._dynamics import trajectories as trajectories
