"""JAX's persistent compilation cache, on by default so a model compiles once per machine."""

import os
import sys
from pathlib import Path


def enable_compilation_cache() -> None:
    """Point JAX's compilation cache at ``~/.cache/neurodyn/jax`` unless the user chose one.

    Before JAX is imported this only sets JAX's own environment variables (JAX reads
    them when it loads), so ``import neurodyn`` does not import JAX.
    """
    if os.environ.get("NEURODYN_NO_COMPILATION_CACHE"):
        return
    jax = sys.modules.get("jax")
    chosen = jax.config.jax_compilation_cache_dir if jax is not None else os.environ.get("JAX_COMPILATION_CACHE_DIR")
    if chosen:  # the user chose one
        return
    folder = Path(os.environ.get("NEURODYN_CACHE_DIR", Path.home() / ".cache" / "neurodyn" / "jax"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if jax is not None:
        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    else:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(folder)
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
