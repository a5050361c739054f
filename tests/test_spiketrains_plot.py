"""Spike-train figures: they draw what they claim (checked on the artists, not pixels)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import neurodyn.analysis as na  # noqa: E402
import neurodyn.plot as ndp  # noqa: E402


def _net():
    st = na.poisson(np.r_[np.full(8, 5.0), np.full(2, 30.0)], 1000.0, key=0, n_units=10)
    return na.SpikeTrains(st.times, st.units, 10, 0.0, 1000.0, populations=(("E", 0, 8), ("I", 8, 10)))


def test_raster_colours_each_population():
    st = _net()
    fig = ndp.raster(st, colors={"E": "blue", "I": "red"})
    assert isinstance(fig, Figure)
    lines = fig.axes[0].get_lines()
    assert [ln.get_color() for ln in lines] == ["blue", "red"]
    assert sum(len(ln.get_xdata()) for ln in lines) == st.n_spikes
    np.testing.assert_array_equal(np.sort(lines[1].get_ydata()), np.sort(st.units[st.units >= 8]))


def test_psth_isi_cv_correlogram_draw_their_data():
    st = _net()
    fig = ndp.psth(st, 50.0)
    assert len(fig.axes[0].get_lines()) == 2
    fig = ndp.isi_histogram(st, bins=20)
    assert len(fig.axes[0].patches) == 20
    fig = ndp.cv_distribution(st, bins=10)
    assert sum(p.get_height() for p in fig.axes[0].patches) == 10  # every unit has a CV
    fig = ndp.correlogram(st, 0, 1, 2.0, window=(-10, 10))
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_array_equal(heights, na.cross_correlogram(st, 0, 1, 2.0, window=(-10, 10)).values)


def test_summary_figure(tmp_path):
    fig = ndp.summary(_net())
    assert len(fig.axes) == 6
    fig.savefig(tmp_path / "summary.png", dpi=50)
    assert (tmp_path / "summary.png").stat().st_size > 1000
