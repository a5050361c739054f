"""Additive pair STDP in the C++ propagation kernel against the pure-JAX plasticity path.

The kernel (``_native/propagate.cc``) is an optimisation of ``neurodyn.plasticity.STDP`` on
CPU; the rule's own hooks on the pure-JAX path (``propagation="jax"``) define the result.
The two must agree bit for bit: spikes, final weights and both traces.
"""

import jax
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.connectivity import ExpCurrent, WithSynapses, all_to_all, fixed_probability, uniform
from neurodyn.connectivity import _ffi
from neurodyn.network import _network

pytestmark = [pytest.mark.skipif(not _ffi.available(), reason="no C++ compiler"), pytest.mark.usefixtures("on_cpu")]

DT = 0.1
W_MAX = 16.0


def _pop(n):
    return WithSynapses(nd.neurons.LIF(n=n), {"exc": ExpCurrent(tau=5.0), "inh": ExpCurrent(tau=10.0)})


def _recurrent(rule, propagation, other=None):
    """E/I network: from E two plastic projections (heterogeneous delays; delay-free) in one
    kernel call; from I a frozen and a plastic one (homogeneous delays) in another."""
    P = nd.Projection
    other = other if other is not None else nd.plasticity.STDP(A_pre=0.5, A_post=-0.6, w_min=None, w_max=None)
    projections = [
        P("E", "E", fixed_probability(0.3), weight=uniform(5.0, 15.0), delay=uniform(0.0, 3.0), target="exc", plasticity=rule),
        P("E", "I", fixed_probability(0.3), weight=8.0, target="exc", plasticity=rule),
        P("I", "E", fixed_probability(0.4), weight=-10.0, delay=1.0, target="inh"),
        P("I", "I", fixed_probability(0.4), weight=-5.0, delay=0.5, target="inh", plasticity=other),
    ]
    return nd.Network({"E": _pop(80), "I": _pop(20)}, projections, seed=5, propagation=propagation)


def _run(net, duration=300.0, key=None):
    drive = {"E": nd.inputs.poisson(8000.0, 60.0), "I": nd.inputs.poisson(8000.0, 60.0)}
    return nd.simulate(net, duration, DT, inputs=drive, key=jax.random.key(1) if key is None else key, progress=False)


def _assert_same(a, b):
    for pop in a.spike_counts:
        np.testing.assert_array_equal(a[pop].spikes.times, b[pop].spikes.times, err_msg=pop)
        np.testing.assert_array_equal(a[pop].spikes.indices, b[pop].spikes.indices, err_msg=pop)
    assert a.final_state.plastic.keys() == b.final_state.plastic.keys()
    for name, ps in a.final_state.plastic.items():
        other = b.final_state.plastic[name]
        for field in ("w", "pre", "post"):
            np.testing.assert_array_equal(np.asarray(getattr(ps, field)), np.asarray(getattr(other, field)), err_msg=f"{name}.{field}")


def _rule(**bounds):
    return nd.plasticity.STDP(tau_pre=17.0, tau_post=34.0, A_pre=1.5, A_post=-0.8, **{"w_min": 0.0, "w_max": W_MAX, **bounds})


def test_kernel_equals_the_pure_jax_path_bit_for_bit():
    kernel, pure = _recurrent(_rule(), "auto"), _recurrent(_rule(), "jax")
    assert kernel.propagation == ("kernel",) * 4 and kernel.groups == ((0, 1), (2, 3))
    assert pure.propagation == ("jax",) * 4
    a, b = _run(kernel), _run(pure)
    _assert_same(a, b)
    assert a["E"].spikes.times.size > 500 and a["I"].spikes.times.size > 100
    w = np.asarray(a.final_state.plastic["E->E"].w)
    assert (w == 0.0).sum() >= 5 and (w == W_MAX).sum() >= 20  # both bounds were hit
    w_ii = np.asarray(a.final_state.plastic["I->I"].w)
    assert not np.allclose(w_ii, -5.0)  # the unbounded rule moved its weights


def test_kernel_equals_the_rule_on_the_pure_jax_path_beside_frozen_kernel_projections(monkeypatch):
    """Only the plastic projections differ in path (frozen ones stay on the kernel)."""
    kernel = _run(_recurrent(_rule(), "auto"))
    monkeypatch.setattr(_network, "in_kernel", lambda rule: False)
    mixed = _recurrent(_rule(), "auto")
    assert mixed.propagation == ("jax", "jax", "kernel", "jax")
    _assert_same(kernel, _run(mixed))


@pytest.mark.parametrize("bounds", [dict(w_min=None, w_max=None), dict(w_max=None), dict(w_min=None)], ids=["open", "lower", "upper"])
def test_open_bounds(bounds):
    a, b = (_run(_recurrent(_rule(**bounds), p), duration=200.0) for p in ("auto", "jax"))
    _assert_same(a, b)
    w = np.asarray(a.final_state.plastic["E->E"].w)
    if bounds.get("w_min", 0.0) is None:
        assert w.min() < 0.0  # the open side was crossed
    if bounds.get("w_max", W_MAX) is None:
        assert w.max() > W_MAX


def test_float64(x64):
    a, b = (_run(_recurrent(_rule(), p), duration=200.0) for p in ("auto", "jax"))
    assert a.final_state.plastic["E->E"].w.dtype == np.float64
    _assert_same(a, b)


def test_synchronous_volleys_take_several_passes_on_the_pure_jax_path():
    """100 inputs firing together, all to all: the pure-JAX path needs several passes per
    step (for presynaptic and postsynaptic spikes), the kernel one call."""
    rule = nd.plasticity.STDP(A_pre=3.0, A_post=-3.5, w_min=0.0, w_max=80.0)
    times = np.repeat(np.arange(5.0, 150.0, 7.3), 100)
    src = nd.neurons.SpikeGenerator(100, times=times, indices=np.tile(np.arange(100), times.size // 100))
    runs = []
    for propagation in ("auto", "jax"):
        net = nd.Network({"In": src, "E": _pop(60)}, [nd.Projection("In", "E", all_to_all(), weight=uniform(20.0, 60.0), delay=0.3,
                                                                  plasticity=rule)], seed=2, propagation=propagation)
        runs.append(nd.simulate(net, 150.0, DT, inputs={"E": nd.inputs.poisson(4000.0, 60.0)}, key=jax.random.key(3), progress=False))
    _assert_same(*runs)
    E = runs[0]["E"].spikes
    _, per_step = np.unique(np.round(E.times / DT), return_counts=True)
    assert per_step.max() > 20  # postsynaptic volleys too
    w0 = np.asarray(net.weights(None, "In->E")[2])
    assert np.abs(np.asarray(runs[0].final_state.plastic["In->E"].w) - w0).max() > 10.0  # the weights moved


def test_a_subclass_that_overrides_a_hook_takes_the_generic_path():
    class Written(nd.plasticity.STDP):
        """The same rule, its on_pre written out again: the kernel must not take it."""

        def on_pre(self, w, pre, post):
            return w + post

    rule = Written(tau_pre=17.0, tau_post=34.0, A_pre=1.5, A_post=-0.8, w_min=0.0, w_max=W_MAX)
    net = _recurrent(rule, "auto")
    assert net.propagation == ("jax", "jax", "kernel", "kernel")  # I->I keeps the plain STDP
    _assert_same(_run(_recurrent(_rule(), "auto"), duration=200.0), _run(net, duration=200.0))


def test_kernel_under_vmap_matches_one_run_at_a_time():
    net = _recurrent(_rule(), "auto")
    keys = jax.random.split(jax.random.key(0), 2)
    final = lambda k: _run(net, 100.0, k).final_state.plastic["E->E"].w  # noqa: E731
    together = jax.vmap(final)(keys)
    one_by_one = [np.asarray(final(k)) for k in keys]
    assert not np.array_equal(one_by_one[0], one_by_one[1])
    for w, ref in zip(together, one_by_one):
        np.testing.assert_array_equal(np.asarray(w), ref)


def test_replaced_rules_stay_on_their_path():
    """``Network.replace`` keeps each projection's path: another STDP with scalar parameters
    runs in the kernel (equal to the pure-JAX path); per-neuron ones need a new Network."""
    stronger = _rule().replace(A_pre=2.0)
    a, b = (_run(_recurrent(_rule(), p).replace(plasticity={"E->E": stronger}), duration=100.0) for p in ("auto", "jax"))
    _assert_same(a, b)
    assert not np.array_equal(np.asarray(a.final_state.plastic["E->E"].w),
                              np.asarray(_run(_recurrent(_rule(), "auto"), duration=100.0).final_state.plastic["E->E"].w))
    per_neuron = _rule().replace(tau_pre=np.full(80, 17.0))
    with pytest.raises(ValueError, match=r"plasticity\['E->E'\]: the C\+\+ kernel runs this projection's STDP, which takes scalar"):
        _recurrent(_rule(), "auto").replace(plasticity={"E->E": per_neuron})
    _recurrent(_rule(), "jax").replace(plasticity={"E->E": per_neuron})  # the pure-JAX path takes them
