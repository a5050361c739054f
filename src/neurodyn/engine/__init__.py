"""The engine: model protocol, solvers, the time loop, results."""

from ._model import AbstractDynamics as AbstractDynamics
from ._model import AbstractMap as AbstractMap
from ._model import AbstractModel as AbstractModel
from ._model import ODE as ODE
from ._model import advance as advance
from ._record import Spikes as Spikes
from ._result import Continuation as Continuation
from ._result import Result as Result
from ._result_file import ResultFileError as ResultFileError
from ._result import load as load
from ._simulate import SimulationError as SimulationError
from ._simulate import StreamError as StreamError
from ._simulate import simulate as simulate
from ._solvers import RK4 as RK4
from ._solvers import AbstractSolver as AbstractSolver
from ._solvers import Euler as Euler
from ._solvers import EulerMaruyama as EulerMaruyama
from ._solvers import ExponentialEuler as ExponentialEuler
