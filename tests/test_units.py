"""Unit strings in configs (read by pint, converted to each parameter's documented unit),
and the warnings that catch unit slips in Python (issue 14, item 11)."""

import warnings

import numpy as np
import pytest

import neurodyn as nd
from neurodyn import cli
from neurodyn._params import parameters, to_unit
from neurodyn.io._config import MODELS, ConfigError, load_config

BASE = """
[simulation]
duration = {duration}
dt = 0.1
[model]
type = "LIF"
n = 2
{model}
{extra}
"""


def spec(tmp_path, model="", duration="10.0", extra=""):
    path = tmp_path / "c.toml"
    path.write_text(BASE.format(model=model, duration=duration, extra=extra))
    return load_config(path)


@pytest.mark.parametrize(
    "line, field, value",
    [
        ('tau_m = "20 ms"', "tau_m", 20.0),
        ('tau_m = "0.02 s"', "tau_m", 20.0),
        ('C_m = "0.25 nF"', "C_m", 250.0),
        ('C_m = "250 pF"', "C_m", 250.0),
        ('E_L = "-65 mV"', "E_L", -65.0),
        ('V_th = "-0.05 V"', "V_th", -50.0),
        ('I_e = "0.4 nA"', "I_e", 400.0),
        ('t_ref = "2000 us"', "t_ref", 2.0),
        ("tau_m = 20.0", "tau_m", 20.0),  # plain numbers keep meaning the documented unit
        ("C_m = 250", "C_m", 250.0),
    ],
)
def test_model_parameters_accept_unit_strings(tmp_path, line, field, value):
    model = spec(tmp_path, line).model
    assert float(getattr(model, field)) == value  # exact: unit factors are rounded to 15 digits


def test_per_neuron_lists_mix_numbers_and_units(tmp_path):
    model = spec(tmp_path, 'I_e = ["0.3 nA", 500.0]').model
    np.testing.assert_array_equal(np.asarray(model.I_e), [300.0, 500.0])


def test_simulation_and_input_quantities(tmp_path):
    extra = '[[input]]\ntype = "poisson"\nrate = "5 Hz"\nweight = "0.1 nA ms"\n' \
            '[[input]]\ntype = "ornstein_uhlenbeck"\nmean = "0.1 nA"\nsigma = "20 pA"\ntau = "5 ms"\n'
    s = spec(tmp_path, duration='"1 s"', extra=extra)
    assert s.duration == 1000.0
    poisson, ou = s.inputs
    assert float(poisson.rate) == 5.0 and float(poisson.weight) == 100.0
    assert (float(ou.mean), float(ou.sigma), float(ou.tau)) == (100.0, 20.0, 5.0)
    s = spec(tmp_path, extra="", duration="10.0")
    assert s.duration == 10.0


def test_network_quantities(tmp_path):
    path = tmp_path / "n.toml"
    path.write_text('[simulation]\nduration = 1.0\ndt = 0.1\n[network]\ntype = "brunel"\nn_e = 40\nJ = "0.2 mV"\ndelay = "1.5 ms"\n')
    net = load_config(path).model
    assert net.sizes == {"E": 40, "I": 10}


@pytest.mark.parametrize(
    "line, message",
    [
        ('tau_m = "20 mV"', "model.tau_m: expected a quantity in ms, got '20 mV' (mV cannot be converted to ms)"),
        ('C_m = "1 nS"', "model.C_m: expected a quantity in pF, got '1 nS' (nS cannot be converted to pF)"),
        ('tau_m = "20"', "model.tau_m: expected a number or a quantity in ms (e.g. '20 ms'), got '20'"),
        ('tau_m = "9**9**9 ms"', "model.tau_m: expected a number or a quantity in ms (e.g. '20 ms'), got '9**9**9 ms'"),
        ('tau_m = "20 blorbs"', "model.tau_m: unknown unit 'blorbs' in '20 blorbs'"),
        ('tau_m = "20 parsec"', "model.tau_m: expected a quantity in ms, got '20 parsec' (parsec cannot be converted to ms)"),
        ('tau_m = "1e400 ms"', "model.tau_m: must be finite, got '1e400 ms'"),
        ('I_e = ["0.3 nA", "1 ms"]', "model.I_e[1]: expected a quantity in pA, got '1 ms' (ms cannot be converted to pA)"),
    ],
)
def test_unit_mistakes_name_the_field_and_both_units(tmp_path, line, message):
    with pytest.raises(ConfigError) as err:
        spec(tmp_path, line)
    assert str(err.value).startswith(message), str(err.value)


def test_simulation_duration_in_volts_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"^simulation.duration: expected a quantity in ms, got '1 mV'"):
        spec(tmp_path, duration='"1 mV"')


def test_every_documented_unit_is_understood_by_pint():
    """Each parameter's unit (what `neurodyn models` lists) is one pint can convert to."""
    for cls in MODELS.values():
        for name, _, unit, _ in parameters(cls):
            if unit:
                assert to_unit(name, f"1 {unit}", unit) == 1.0, (cls.__name__, name, unit)


def test_saturated_rate_warns():
    """C_m = 0.25 meant as nF is 0.25 pF: the neuron fires at the refractory ceiling."""
    lif = nd.neurons.LIF(n=2, C_m=0.25, I_e=400.0)
    with pytest.warns(UserWarning, match=r"mean rate 4\d\d Hz is at the ceiling 1/\(t_ref \+ dt\) = 476.2 Hz"):
        res = nd.simulate(lif, 200.0, 0.1, progress=False)
    assert res.rates().mean() > 450.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a plausible run: no warning
        assert 10.0 < nd.simulate(nd.neurons.LIF(n=2, C_m=250.0, I_e=400.0), 200.0, 0.1, progress=False).rates().mean() < 100.0


def test_silent_run_warns():
    with pytest.warns(UserWarning, match=r"the run produced no spikes in 100 ms \(LIF\)"):
        nd.simulate(nd.neurons.LIF(n=3, I_e=100.0), 100.0, 0.1, progress=False)


def test_cli_prints_the_warning_as_one_line(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(BASE.format(model='C_m = "0.25 pF"\nI_e = "0.4 nA"', duration='"0.2 s"', extra=""))
    assert cli.main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("neurodyn: warning: mean rate 4") and "ceiling" in err[0], err


def test_saturated_network_population_warns_with_its_name():
    from neurodyn.connectivity import ExpCurrent, WithSynapses

    E = WithSynapses(nd.neurons.LIF(n=20, C_m=0.25, I_e=400.0), {"exc": ExpCurrent(tau=5.0)})
    with pytest.warns(UserWarning, match=r"^population 'E': mean rate 4\d\d Hz is at the ceiling"):
        nd.simulate(nd.Network({"E": E}), 50.0, 0.1, progress=False)
