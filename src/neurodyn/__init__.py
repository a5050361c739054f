"""neurodyn: dynamical-system models of neural networks on one JAX engine.

The submodules and the names below are imported on first use (PEP 562), so that
``import neurodyn`` and the ``neurodyn`` command start without loading JAX until a
model, an analysis or a figure is asked for. Importing neurodyn changes no JAX setting: the
first ``simulate`` turns on JAX's compilation cache (``engine/_cache.py``).
"""

__version__ = "0.1.0"

#: Subpackages, imported when first accessed.
_SUBMODULES = (
    "analysis", "connectivity", "engine", "examples", "inputs", "io", "learning", "memory", "network",
    "neurons", "plasticity", "plot", "rate", "synapses",
)
#: Re-exported names -> the subpackage that defines them.
_EXPORTS = {
    "ODE": "engine", "RK4": "engine", "Euler": "engine", "EulerMaruyama": "engine",
    "ExponentialEuler": "engine", "Result": "engine", "ResultFileError": "engine", "SimulationError": "engine",
    "Continuation": "engine", "StreamError": "engine", "load": "engine",
    "simulate": "engine", "fit": "learning", "Network": "network", "Population": "network", "Projection": "network",
    "use_cpu_cores": "_cores", "available_cpu_cores": "_cores",
}

__all__ = ["__version__", *_SUBMODULES, *_EXPORTS]


def __getattr__(name: str):
    import importlib

    if name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
