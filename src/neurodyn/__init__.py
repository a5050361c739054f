"""neurodyn: dynamical-system models of neural networks on one JAX engine."""

from ._cache import enable_compilation_cache as _enable_compilation_cache

_enable_compilation_cache()

from . import analysis as analysis  # noqa: E402
from . import connectivity as connectivity  # noqa: E402
from . import engine as engine  # noqa: E402
from . import examples as examples  # noqa: E402
from . import inputs as inputs  # noqa: E402
from . import io as io  # noqa: E402
from . import memory as memory  # noqa: E402
from . import network as network  # noqa: E402
from . import neurons as neurons  # noqa: E402
from . import plot as plot  # noqa: E402
from . import rate as rate  # noqa: E402
from . import synapses as synapses  # noqa: E402
from .engine import ODE as ODE  # noqa: E402
from .engine import RK4 as RK4  # noqa: E402
from .engine import Euler as Euler  # noqa: E402
from .engine import EulerMaruyama as EulerMaruyama  # noqa: E402
from .engine import ExponentialEuler as ExponentialEuler  # noqa: E402
from .engine import Continuation as Continuation  # noqa: E402
from .engine import Result as Result  # noqa: E402
from .engine import SimulationError as SimulationError  # noqa: E402
from .engine import StreamError as StreamError  # noqa: E402
from .engine import load as load  # noqa: E402
from .engine import simulate as simulate  # noqa: E402
from .network import Network as Network  # noqa: E402
from .network import Population as Population  # noqa: E402
from .network import Projection as Projection  # noqa: E402

__version__ = "0.1.0"
