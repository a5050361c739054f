"""The ``neurodyn`` command: turns config files into calls of the public API.

    neurodyn run [CONFIG.toml] [--out DIR] [--set key=value ...]
    neurodyn analyze RESULTS.nc [--out DIR] [--bin-size MS]
    neurodyn models
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import warnings
import time
from pathlib import Path


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


def _spike_statistics(res, bin_size: float = 5.0) -> dict | None:
    """Spike-train summary statistics of every recorded population (None without spikes)."""
    from .analysis import SpikeTrains, summarize

    if not res.populations or not all(p in res.spike_times for p in res.populations):
        return None
    return summarize(SpikeTrains.from_result(res), bin_size=min(bin_size, res.duration))


def _figures(res, out: Path) -> list[str]:
    from . import plot

    written = []
    figures = {}
    if res.populations and all(p in res.spike_times for p in res.populations):
        figures["raster.png"] = plot.raster(res)
        figures["rate.png"] = plot.population_rate(res, bin_size=max(res.dt, min(5.0, res.duration / 50)))
    if res.traces:
        figures["traces.png"] = plot.traces(res)
    from ._files import atomic_path

    for name, fig in figures.items():
        with atomic_path(out / name) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        written.append(name)
    return written


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
    """``neurodyn analyze`` reads a results.nc (HDF5) file: say so for anything else."""
    if not path.exists():
        raise FileNotFoundError(f"results file not found: {path}")
    if path.is_dir():
        raise ValueError(f"results: {path} is a folder; expected the results.nc file written by neurodyn run")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise ValueError(f"results: cannot read {path}: {exc.strerror or exc}") from None
    if magic != b"\x89HDF\r\n\x1a\n":
        raise ValueError(f"results: {path} is not a results file (NetCDF/HDF5); expected the results.nc written by neurodyn run")


def cmd_run(args) -> int:
    import jax

    from ._files import write_text
    from .engine import simulate
    from .io._config import load_config

    spec = load_config(args.config, args.set)
    out = Path(args.out)
    _check_writable(out)  # before the run, not after it
    if not args.quiet:
        print(f"neurodyn: {type(spec.model).__name__}, {spec.duration:g} ms at dt = {spec.dt:g} ms -> {out}/", file=sys.stderr)
    started = time.perf_counter()
    res = simulate(
        spec.model,
        spec.duration,
        spec.dt,
        inputs=spec.inputs,
        record=spec.record,
        record_every=spec.record_every,
        key=jax.random.key(spec.seed),
        solver=spec.solver,
        progress=not args.quiet,
        **spec.limits,
    )
    wall = time.perf_counter() - started
    res.save(out / "results.nc")
    summary = {
        "model": type(spec.model).__name__,
        "duration_ms": spec.duration,
        "dt_ms": spec.dt,
        "seed": spec.seed,
        "wall_time_s": wall,
        "populations": _population_summary(res),
        "spike_statistics": _spike_statistics(res),
        "versions": _versions(),
        "config": spec.config,
    }
    figures = _figures(res, out)
    write_text(out / "summary.json", json.dumps(summary, indent=2, default=str))
    for pop, stats in summary["populations"].items():
        print(f"{pop}: {stats['n']} neurons, {stats['spike_count']} spikes, mean rate {stats['mean_rate_hz']:.2f} Hz")
    print(f"wall time {wall:.2f} s; wrote results.nc, summary.json{''.join(', ' + f for f in figures)}")
    return 0


def _print_statistics(stats: dict, name: str = "all") -> None:
    def f(v):
        return "n/a" if v is None else f"{v:.4g}"

    print(
        f"{name}: {stats['n_units']} units, {stats['n_spikes']} spikes, rate {f(stats['mean_rate'])} Hz "
        f"(silent {stats['silent_units']}), CV {f(stats['cv']['mean'])}, CV2 {f(stats['cv2']['mean'])}, "
        f"LV {f(stats['lv']['mean'])}, Fano({stats['fano_window']:g} ms) {f(stats['fano']['mean'])}, "
        f"synchrony chi({stats['synchrony_bin_size']:g} ms) {f(stats['synchrony_chi'])}"
    )


def cmd_analyze(args) -> int:
    from ._files import atomic_path, write_text
    from .analysis import SpikeTrains, summarize
    from .engine import load
    from .plot import summary as summary_figure

    path = Path(args.results)
    _check_results_file(path)
    res = load(path)
    if not res.populations or not all(p in res.spike_times for p in res.populations):
        raise ValueError(f"{path} holds no recorded spikes; record 'spikes' to analyse spike trains")
    st = SpikeTrains.from_result(res)
    stats = summarize(st, bin_size=min(args.bin_size, res.duration))
    out = Path(args.out) if args.out else path.parent
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "spike_statistics.json", json.dumps(stats, indent=2))
    fig = summary_figure(st, bin_size=min(args.bin_size, res.duration))
    with atomic_path(out / "spike_summary.png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    _print_statistics(stats)
    for name, sub in (stats.get("populations") or {}).items():
        _print_statistics(sub, name)
    print(f"wrote {out / 'spike_statistics.json'}, {out / 'spike_summary.png'}")
    return 0


def cmd_models(args) -> int:
    from ._params import parameters
    from .io._config import INPUTS, MODELS

    for name, cls in MODELS.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{name}: {doc}")
        for pname, default, unit, text in parameters(cls):
            shown = "required" if default is None and pname == "n" else repr(default)
            print(f"    {pname:<10} {shown:>10}  {unit:<4} {text}")
    print("\ninputs (type = ...): " + ", ".join(INPUTS))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="neurodyn", description="Simulate neural network models described by TOML files.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a config file (the bundled demo when none is given)")
    run.add_argument("config", nargs="?", default=None, help="TOML file describing model, inputs and simulation")
    run.add_argument("--out", default="results", help="output folder (default: results)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value, e.g. model.tau_m=15")
    run.add_argument("--quiet", action="store_true", help="no progress bar or header line")
    run.set_defaults(fn=cmd_run)
    analyze = sub.add_parser("analyze", help="spike-train statistics and summary figure of a results file")
    analyze.add_argument("results", help="results.nc written by neurodyn run (or Result.save)")
    analyze.add_argument("--out", default=None, help="output folder (default: next to the results file)")
    analyze.add_argument("--bin-size", type=float, default=5.0, help="bin for synchrony and PSTH, ms (default 5)")
    analyze.set_defaults(fn=cmd_analyze)
    models = sub.add_parser("models", help="list models with their parameters, units and defaults")
    models.set_defaults(fn=cmd_models)
    args = parser.parse_args(argv)

    from .engine import SimulationError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return args.fn(args)
    except SimulationError as exc:
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
