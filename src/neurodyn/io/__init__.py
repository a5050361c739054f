"""Config files and data exchange."""

from ._config import ConfigError as ConfigError
from ._config import load_config as load_config
