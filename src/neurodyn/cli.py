"""The ``neurodyn`` command: turns config files into calls of the public API.

    neurodyn run [CONFIG] [--out DIR] [--set key=value ...]   # CONFIG: a file, or a bundled name
    neurodyn analyze RESULTS.nc [--out DIR] [--bin-size MS]
    neurodyn configs [NAME]
    neurodyn models
    neurodyn --version

Memory stays bounded by the simulation's own: spike statistics are accumulated over the
run one block of spikes at a time, and figures draw a bounded window. ``--help``,
``--version`` and ``configs`` do not import JAX.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # the command's clock: imports, build, run and writing

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

#: Figures draw at most this much of the end of a run, and this many neurons per population.
FIGURE_WINDOW_MS = 1000.0
FIGURE_MAX_NEURONS = 200
#: ``neurodyn run`` streams its chunks into this folder of ``--out`` until every file is
#: written, so an interrupted run, or one whose writing failed, resumes without re-simulating.
STREAM_FOLDER = ".neurodyn-stream"


def _versions() -> dict:
    import jax
    import numpy

    from . import __version__

    return {
        "neurodyn": __version__,
        "jax": jax.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(jax.devices()[0]),
    }


def _population_summary(res) -> dict:
    import numpy as np

    out = {}
    for pop, n in res.sizes:
        rates = np.asarray(res.rates(pop))
        out[pop] = {
            "n": n,
            "spike_count": int(np.asarray(res.spike_counts[pop]).sum()),
            "mean_rate_hz": float(rates.mean()),
            "rate_std_hz": float(rates.std()),
            "silent_fraction": float(np.mean(rates == 0)),
        }
    return out


def _spike_populations(res):
    """``[(name, times, indices, n)]`` of every population, or None if spikes were not recorded."""
    if not res.populations or not all(p in res.spike_times for p in res.populations):
        return None
    out = []
    for pop in res.populations:
        s = res.spikes_of(pop)
        out.append((pop, s.times, s.indices, int(s.n)))
    return out


def _spike_statistics(pops, duration: float, bin_size: float = 5.0) -> dict | None:
    """Spike-train statistics of every population over the whole run (None without spikes)."""
    from .analysis._summary import summarize_events

    if pops is None:
        return None
    stats = summarize_events(pops, duration, bin_size=min(bin_size, duration))
    stats["method"] = "whole run, accumulated one block of spikes at a time (exact; memory independent of duration)"
    return stats


def _window(pops, duration: float):
    """SpikeTrains of the last ``FIGURE_WINDOW_MS`` of a run, at most ``FIGURE_MAX_NEURONS`` per population."""
    import numpy as np

    from .analysis import SpikeTrains

    t0 = max(0.0, duration - FIGURE_WINDOW_MS)
    times, units, ranges, offset = [], [], [], 0
    for name, t, i, n in pops:
        a = int(np.searchsorted(t, t0, side="left")) if len(t) else 0  # events are in time order
        t, i = np.asarray(t[a:], dtype=np.float64), np.asarray(i[a:], dtype=np.int64)
        keep = i < FIGURE_MAX_NEURONS
        times.append(t[keep])
        units.append(i[keep] + offset)
        m = min(n, FIGURE_MAX_NEURONS)
        ranges.append((name, offset, offset + m))
        offset += m
    return SpikeTrains.from_arrays(np.concatenate(times), np.concatenate(units), n_units=offset, t_start=t0,
                                   t_stop=duration, populations=tuple(ranges))


def _note_window(fig, st, duration: float, pops) -> None:
    """Say on a figure which part of the run it shows, when it is not all of it."""
    parts = []
    if st.t_start > 0:
        parts.append(f"last {st.t_stop - st.t_start:g} ms of {duration:g} ms")
    sizes = {name: n for name, *_, n in pops}
    shown = {name: b - a for name, a, b in st.populations}
    if any(shown[name] < n for name, n in sizes.items()):
        parts.append("shown: " + ", ".join(f"{name} {shown[name]:,} of {n:,} neurons" for name, n in sizes.items()))
    if parts:
        fig.axes[0].set_title("; ".join(parts), fontsize="small")


def _save_figures(figures: dict, out: Path, dpi: int = 120) -> list[str]:
    from ._files import atomic_path

    for name, fig in figures.items():
        with atomic_path(out / name) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    return list(figures)


def _figures(res, pops, out: Path) -> list[str]:
    """Raster and rate of the run's last window, traces; each from bounded data."""
    from . import plot

    figures = {}
    if pops is not None:
        st = _window(pops, res.duration)
        figures["raster.png"] = plot.raster(st)
        figures["rate.png"] = plot.psth(st)  # bins that resolve oscillations
        for fig in figures.values():
            _note_window(fig, st, res.duration, pops)
    if res.traces:
        figures["traces.png"] = plot.traces(res)
    return _save_figures(figures, out)


def _config_path(name):
    """A config file on disk, else a bundled config of that name; None runs the demo."""
    if name is None or Path(name).exists() or Path(name).name != name:
        return name  # a missing path is reported by the config reader
    from . import configs

    return configs.path(name)


def _check_writable(out: Path, probe_bytes: int = 1 << 16) -> None:
    """Create ``out`` and write (then remove) a probe file in it, so that a file in the way,
    a read-only folder or a full disk is reported before the simulation, not after it."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: expected a folder, got the existing file {out}")
    probe = out / f".neurodyn-probe-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as fh:
            fh.write(bytes(probe_bytes))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ValueError(f"--out: cannot write into {out}: {exc.strerror or exc}") from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def _check_results_file(path: Path) -> None:
    """``neurodyn analyze`` reads a results.nc file: say so for a missing path or a folder
    (what is inside a file is checked by ``open_result``)."""
    if not path.exists():
        raise FileNotFoundError(f"results file not found: {path}")
    if path.is_dir():
        raise ValueError(f"results: {path} is a folder; expected the results.nc file written by neurodyn run")


def cmd_run(args) -> int:
    if args.cores is not None:  # before JAX starts: XLA sizes its thread pool then
        from ._cores import use_cpu_cores

        use_cpu_cores(args.cores, name="--cores")
    import jax

    from ._files import write_text
    from .engine import StreamError, simulate
    from .io._config import load_config

    spec = load_config(_config_path(args.config), args.set)
    out = Path(args.out)
    _check_writable(out)  # before the run, not after it
    if not args.quiet:
        print(f"neurodyn: {type(spec.model).__name__}, {spec.duration:g} ms at dt = {spec.dt:g} ms -> {out}/", file=sys.stderr)
    started = time.perf_counter()
    stream = out / STREAM_FOLDER

    def run(resume):
        return simulate(
            spec.model,
            spec.duration,
            spec.dt,
            inputs=spec.inputs,
            record=spec.record,
            record_every=spec.record_every,
            key=jax.random.key(spec.seed),
            solver=spec.solver,
            progress=not args.quiet,
            stream_to=stream,
            resume=resume,
            **spec.limits,
        )

    try:  # the chunks of an interrupted run of this config, or of one whose writing failed
        res = run("repair")
    except StreamError:  # another run's chunks: start over
        res = run(False)
    simulated = time.perf_counter()
    try:
        res.save(out / "results.nc", config=spec.config, seed=spec.seed)
    except OSError as exc:
        raise OSError(f"--out: writing {out / 'results.nc'} failed ({exc.strerror or exc}); the finished run is kept "
                      f"in {stream}: free space and run the same command again to write it without re-simulating") from None
    pops = _spike_populations(res)
    summary = {
        "model": type(spec.model).__name__,
        "duration_ms": spec.duration,
        "dt_ms": spec.dt,
        "seed": spec.seed,
        "populations": _population_summary(res),
        "spike_statistics": _spike_statistics(pops, res.duration),
        "final_weights": _weight_summary(res),
        "versions": _versions(),
        "config": spec.config,
    }
    figures = _figures(res, pops, out)
    timing = {
        "start_and_build": started - _STARTED,  # imports, config, network construction
        "simulation": simulated - started,  # compilation and the time loop
        "writing": time.perf_counter() - simulated,  # results.nc, statistics, figures
    }
    timing["total"] = time.perf_counter() - _STARTED
    summary["wall_time_s"] = timing
    write_text(out / "summary.json", json.dumps(summary, indent=2, default=str))
    for pop, stats in summary["populations"].items():
        print(f"{pop}: {stats['n']} neurons, {stats['spike_count']} spikes, mean rate {stats['mean_rate_hz']:.2f} Hz")
    for name, w in summary["final_weights"].items():
        print(f"{name}: {w['n']} plastic synapses, final weight {w['mean']:.4g} ± {w['std']:.3g} {w['unit']} "
              f"(range {w['min']:.3g} to {w['max']:.3g})")
    print(f"wall time: simulation {timing['simulation']:.2f} s, total {time.perf_counter() - _STARTED:.2f} s "
          f"(start and build {timing['start_and_build']:.2f} s, writing {timing['writing']:.2f} s)")
    shutil.rmtree(stream, ignore_errors=True)  # everything is written: the chunks are no longer needed
    print(f"wrote results.nc, summary.json{''.join(', ' + f for f in figures)}")
    return 0


def _weight_summary(res) -> dict:
    """Final weights of each plastic projection: count, mean, SD, range and unit."""
    import numpy as np

    out = {}
    for name, (_, _, w) in res.weights.items():
        w = np.asarray(w, dtype=float)
        out[name] = {"n": int(w.size), "mean": float(w.mean()) if w.size else 0.0, "std": float(w.std()) if w.size else 0.0,
                     "min": float(w.min()) if w.size else 0.0, "max": float(w.max()) if w.size else 0.0,
                     "unit": res.unit(f"{name}.w")}
    return out


def _print_statistics(stats: dict, name: str = "all") -> None:
    def f(v):
        return "n/a" if v is None else f"{v:.4g}"

    print(
        f"{name}: {stats['n_units']} units, {stats['n_spikes']} spikes, rate {f(stats['mean_rate'])} Hz "
        f"(silent {stats['silent_units']}), CV {f(stats['cv']['mean'])}, CV2 {f(stats['cv2']['mean'])}, "
        f"LV {f(stats['lv']['mean'])}, Fano({stats['fano_window']:g} ms) {f(stats['fano']['mean'])}, "
        f"synchrony chi({stats['synchrony_bin_size']:g} ms) {f(stats['synchrony_chi'])}"
    )




def _file_spikes(ds):
    """``[(name, times, indices, n)]`` of a results file opened lazily: slices are read on demand."""
    pops = [p for p in str(ds.attrs.get("populations", "")).split(",") if p]
    sizes = [int(n) for n in str(ds.attrs.get("sizes", "")).split(",") if n]
    out = []
    for name, n in zip(pops, sizes):
        if f"{name}.spike_time" not in ds:
            return None
        out.append((name, ds[f"{name}.spike_time"].variable, ds[f"{name}.spike_index"].variable, n))
    return out or None


def cmd_analyze(args) -> int:
    from ._files import write_text
    from .engine._result_file import open_result
    from .plot import summary as summary_figure

    path = Path(args.results)
    _check_results_file(path)
    with open_result(path) as ds:  # checked, then lazily: spikes are read a block at a time
        duration = float(ds.attrs["duration"])
        pops = _file_spikes(ds)
        if pops is None:
            raise ValueError(f"{path} holds no recorded spikes; record 'spikes' to analyse spike trains")
        bin_size = min(args.bin_size, duration)
        stats = _spike_statistics(pops, duration, bin_size)
        st = _window([(name, t, i, n) for name, t, i, n in pops], duration)
    out = Path(args.out) if args.out else path.parent
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "spike_statistics.json", json.dumps(stats, indent=2))
    fig = summary_figure(st, bin_size=min(bin_size, st.duration))
    _note_window(fig, st, duration, pops)
    _save_figures({"spike_summary.png": fig}, out, dpi=110)
    _print_statistics(stats)
    for name, sub in (stats.get("populations") or {}).items():
        _print_statistics(sub, name)
    print(f"wrote {out / 'spike_statistics.json'}, {out / 'spike_summary.png'}")
    return 0


def cmd_configs(args) -> int:
    from . import configs

    if args.name:
        sys.stdout.write(configs.path(args.name).read_text())
        return 0
    names = configs.names()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {configs.describe(name)}")
    print("\nrun one with `neurodyn run NAME`; print one to edit with `neurodyn configs NAME > my.toml`")
    return 0


def cmd_models(args) -> int:
    from ._params import parameters
    from .io._config import INPUTS, MODELS, RULES, _rules

    def documented(table):
        for name, cls in table.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            print(f"{name}: {doc}")
            for pname, default, unit, text in parameters(cls):
                if pname == "n" and table is not MODELS:
                    continue
                shown = "required" if default is None and pname == "n" else repr(default)
                print(f"    {pname:<10} {shown:>10}  {unit:<4} {text}")

    documented(MODELS)
    print("\nplasticity rules ([network.plasticity] type = ...; 'weight' is the unit of the synapses' weights):")
    documented({k: _rules()[k] for k in RULES})
    import inspect

    from .io._config import NETWORKS, _networks

    def factories(title, table, hidden=()):
        print(f"\n{title}")
        for name, fn in table.items():
            print(f"{name}: {(fn.__doc__ or '').strip().splitlines()[0]}")
            for p in inspect.signature(fn).parameters.values():
                if p.name not in hidden:
                    shown = "required" if p.default is inspect.Parameter.empty else repr(p.default)
                    print(f"    {p.name:<10} {shown:>10}")

    factories("inputs ([[input]] type = ...):", INPUTS)
    factories("networks ([network] type = ...; dt is the simulation's):", {k: _networks()[k] for k in NETWORKS}, ("dt",))
    return 0


def _simulation_error() -> type:
    """``SimulationError`` once the engine is loaded (only it raises one); JAX stays unloaded until then."""
    engine = sys.modules.get(f"{__package__}.engine")
    return engine.SimulationError if engine is not None else type("_NotRaised", (Exception,), {})


def main(argv=None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="neurodyn", description="Simulate neural network models described by TOML files.")
    parser.add_argument("--version", action="version", version=f"neurodyn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a config file or a bundled config by name (the demo when none is given)")
    run.add_argument("config", nargs="?", default=None,
                     help="TOML file describing model, inputs and simulation, or a bundled config's name (see `neurodyn configs`)")
    run.add_argument("--out", default="results", help="output folder (default: results)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value, e.g. model.tau_m=15")
    run.add_argument("--quiet", action="store_true", help="no progress bar or header line")
    run.add_argument("--cores", type=int, default=None, metavar="N",
                     help="run on N CPU cores (1 is often fastest on small machines; default: all)")
    run.set_defaults(fn=cmd_run)
    analyze = sub.add_parser("analyze", help="spike-train statistics and summary figure of a results file")
    analyze.add_argument("results", help="results.nc written by neurodyn run (or Result.save)")
    analyze.add_argument("--out", default=None, help="output folder (default: next to the results file)")
    analyze.add_argument("--bin-size", type=float, default=5.0, help="bin for synchrony and correlations, ms (default 5); the rate panel picks its own")
    analyze.set_defaults(fn=cmd_analyze)
    models = sub.add_parser("models", help="list models with their parameters, units and defaults")
    models.set_defaults(fn=cmd_models)
    configs = sub.add_parser("configs", help="list the bundled configs, or print one (`neurodyn configs coba > my.toml`)")
    configs.add_argument("name", nargs="?", default=None, help="a bundled config to print")
    configs.set_defaults(fn=cmd_configs)
    args = parser.parse_args(argv)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return args.fn(args)
    except _simulation_error() as exc:
        print(f"neurodyn: error: {exc}", file=sys.stderr)
        return 3
    except (ValueError, TypeError, KeyError, OSError, ImportError, MemoryError) as exc:
        print(f"neurodyn: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except KeyboardInterrupt:
        print("neurodyn: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback on request
        if os.environ.get("NEURODYN_TRACEBACK"):
            raise
        print(f"neurodyn: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(please report it; NEURODYN_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, MemoryError):
        return f"not enough memory{': ' + text if text else ''}"
    if isinstance(exc, OSError) and exc.strerror and getattr(exc, "filename", None):
        return f"{exc.filename}: {exc.strerror}"
    return text.splitlines()[0] if text else type(exc).__name__


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings during a command: one line each, without the source line."""
    text = str(message).strip().splitlines()
    print(f"neurodyn: warning: {text[0] if text else category.__name__}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
