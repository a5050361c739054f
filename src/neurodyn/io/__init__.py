"""Config files and data exchange (neo/Elephant, NWB)."""

from ._config import ConfigError as ConfigError
from ._config import load_config as load_config
from ._neo import from_neo as from_neo
from ._neo import to_neo as to_neo
from ._nwb import read_nwb as read_nwb
from ._nwb import read_nwb_traces as read_nwb_traces
from ._nwb import write_nwb as write_nwb
