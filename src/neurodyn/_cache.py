"""JAX's persistent compilation cache, on by default so a model compiles once per machine."""

import os
from pathlib import Path

import jax


def enable_compilation_cache() -> None:
    if os.environ.get("NEURODYN_NO_COMPILATION_CACHE"):
        return
    if jax.config.jax_compilation_cache_dir:  # the user chose one
        return
    folder = Path(os.environ.get("NEURODYN_CACHE_DIR", Path.home() / ".cache" / "neurodyn" / "jax"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
