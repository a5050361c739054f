"""JAX's persistent compilation cache, turned on by the first ``simulate`` so a model
compiles once per machine. Importing neurodyn leaves JAX's configuration alone."""

import os
from pathlib import Path

#: JAX's default ``jax_persistent_cache_min_compile_time_secs``; neurodyn's cache keeps
#: programs that took 0.2 s instead, unless the user chose a value.
_JAX_DEFAULT_MIN_COMPILE_TIME = 1.0

_checked = False


def enable_compilation_cache() -> None:
    """Point JAX's compilation cache at ``$NEURODYN_CACHE_DIR`` (default
    ``~/.cache/neurodyn/jax``); only the first call in a process does anything.

    Nothing changes when ``NEURODYN_NO_COMPILATION_CACHE`` is set, when the user chose a
    cache folder (``jax_compilation_cache_dir`` or ``JAX_COMPILATION_CACHE_DIR``), or when
    the user turned JAX's cache off (``jax_enable_compilation_cache``).
    """
    global _checked
    if _checked:
        return
    _checked = True
    if os.environ.get("NEURODYN_NO_COMPILATION_CACHE"):
        return
    import jax

    if jax.config.jax_compilation_cache_dir or not jax.config.jax_enable_compilation_cache:
        return
    folder = Path(os.environ.get("NEURODYN_CACHE_DIR") or Path.home() / ".cache" / "neurodyn" / "jax")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    if (
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ
        and jax.config.jax_persistent_cache_min_compile_time_secs == _JAX_DEFAULT_MIN_COMPILE_TIME
    ):
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
