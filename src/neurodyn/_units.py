"""Units of recorded variables (NEST's conventions), for axis labels and result files."""

from __future__ import annotations

#: variables whose name fixes the unit (gating variables are dimensionless, "1")
_BY_NAME = {"V_m": "mV", "V_d": "mV", "V": "mV", "U": "pA", "w": "pA", "I": "pA", "r": "Hz",
            "m": "1", "h": "1", "n": "1"}


def name_unit(name: str) -> str:
    """The unit a variable's name implies (``""`` when the name does not say)."""
    base = name.rsplit(".", 1)[-1]
    if base in _BY_NAME:
        return _BY_NAME[base]
    return "Hz" if base.startswith("r_") else ""


def variable_unit(model, name: str) -> str:
    """The unit of the recorded variable ``name`` of ``model``: network variables
    (``"E.V_m"``) by their population's model, synaptic channels by their kind
    (conductance nS, current pA, delta mV), everything else by :func:`name_unit`."""
    from .synapses._kernels import Delta

    populations = getattr(model, "populations", None)
    projections = getattr(model, "names", ())
    if isinstance(populations, dict) and "." in name and name.split(".", 1)[0] in projections:
        proj, var = name.split(".", 1)  # a plastic projection's weights (and traces): its channel's unit
        _, post, target = model.routes[projections.index(proj)]
        post_model = getattr(populations[post], "model", populations[post])
        channel = f"g_{target}" if hasattr(post_model, "neuron") else target
        return variable_unit(post_model, channel) if var in ("w", "pre", "post") else name_unit(var)
    if isinstance(populations, dict) and "." in name and name.split(".", 1)[0] in populations:
        pop, var = name.split(".", 1)
        return variable_unit(getattr(populations[pop], "model", populations[pop]), var)
    for part in getattr(model, "all_parts", ()):
        if part.name == name or (part.receives_spikes and name == f"g_{part.name}"):
            if hasattr(part, "E_rev"):
                return "nS"
            return "mV" if isinstance(getattr(part, "kernel", None), Delta) else "pA"
    return name_unit(name)
