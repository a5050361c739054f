"""stream_to folders: one manifest commits each chunk, damaged folders are refused or repaired,
and a run killed at any moment resumes to the uninterrupted result bit for bit."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings

import jax
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.engine import _simulate

LIF = nd.neurons.LIF(n=30, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
DRIVE = nd.inputs.ornstein_uhlenbeck(mean=250.0, sigma=100.0, tau=5.0) + nd.inputs.poisson(rate=500.0, weight=40.0, n_sources=4)
CHUNK = 100  # steps: 10 ms, so 20 chunks in 200 ms


def run(**kw):
    kw.setdefault("progress", False)
    kw.setdefault("key", jax.random.key(3))
    kw.setdefault("record", ["spikes", "V_m"])
    kw.setdefault("chunk_steps", CHUNK)
    return nd.simulate(LIF, 200.0, 0.1, inputs=DRIVE, **kw)


@pytest.fixture(scope="module")
def whole():
    res = run()
    assert res.spikes.times.size > 100
    return res


def assert_same_run(res, ref):
    np.testing.assert_array_equal(res.spikes.times, ref.spikes.times)
    np.testing.assert_array_equal(res.spikes.indices, ref.spikes.indices)
    np.testing.assert_array_equal(res.traces["V_m"], ref.traces["V_m"])
    np.testing.assert_array_equal(res.t, ref.t)
    np.testing.assert_array_equal(res.spike_counts["neurons"], ref.spike_counts["neurons"])
    for a, b in zip(jax.tree.leaves(res.continuation), jax.tree.leaves(ref.continuation)):
        if jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key):
            a, b = jax.random.key_data(a), jax.random.key_data(b)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def manifest(folder):
    return json.loads((folder / "run.json").read_text())


class Killed(BaseException):
    pass


def kill_at_write(monkeypatch, n):
    """Stop the run (like a kill) just before the ``n``-th file of the stream is put in place."""
    count = {"writes": 0}
    for name in ("write_bytes", "write_text"):
        real = getattr(_simulate, name)

        def stopping(path, data, real=real):
            count["writes"] += 1
            if count["writes"] == n:
                raise Killed(str(path))
            return real(path, data)

        monkeypatch.setattr(_simulate, name, stopping)


# -- one manifest commits each chunk ------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 29])
def test_a_stop_between_any_two_files_resumes_exactly(tmp_path, monkeypatch, whole, n):
    # writes: run.json (start), then per chunk: chunk, checkpoint, run.json
    with monkeypatch.context() as m:
        kill_at_write(m, n)
        with pytest.raises(Killed):
            run(stream_to=tmp_path)
    done = manifest(tmp_path)["chunks_done"] if (tmp_path / "run.json").exists() else 0
    assert done == max(0, (n - 2) // 3)
    assert_same_run(run(stream_to=tmp_path, resume=True), whole)
    info = manifest(tmp_path)
    assert info["chunks_done"] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run.json"] + [f"chunk_{c:06d}.npz" for c in range(20)] + [f"checkpoint_{c:06d}.npz" for c in range(20)]
    )


def test_files_the_manifest_does_not_name_are_removed_on_resume(tmp_path, whole):
    with pytest.MonkeyPatch.context() as m:
        kill_at_write(m, 3 * 4 + 1)  # 4 chunks committed
        with pytest.raises(Killed):
            run(stream_to=tmp_path)
    # a later chunk written without its manifest, half-written temporary files
    (tmp_path / "chunk_000004.npz").write_bytes((tmp_path / "chunk_000001.npz").read_bytes())
    (tmp_path / "checkpoint_000004.npz").write_bytes(b"junk")
    (tmp_path / ".chunk_000005.npz.abc.tmp").write_bytes(b"half")
    (tmp_path / ".run.json.xyz.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("mine")  # not the stream's: kept
    assert_same_run(run(stream_to=tmp_path, resume=True), whole)
    assert not list(tmp_path.glob(".*.tmp"))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_manifest_names_and_checksums_every_file(tmp_path):
    run(stream_to=tmp_path)
    import hashlib

    info = manifest(tmp_path)
    assert info["format"] == "neurodyn-stream" and info["chunks_done"] == len(info["chunks"]) == 20
    for c, entry in enumerate(info["chunks"]):
        for name in ("chunk", "checkpoint"):
            assert entry[name] == f"{name}_{c:06d}.npz"
            assert hashlib.sha256((tmp_path / entry[name]).read_bytes()).hexdigest() == entry[name + "_sha256"]


# -- damaged folders ------------------------------------------------------------
def rewrite_manifest(folder, edit):
    info = manifest(folder)
    info.pop("sha256")
    edit(info)
    import hashlib

    info["sha256"] = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
    (folder / "run.json").write_text(json.dumps(info))


def swap(folder, a, b):
    pa, pb = folder / a, folder / b
    da, db = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(db)
    pb.write_bytes(da)


def flip_bit(path, at=200):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE = {
    "swapped chunks": (lambda f: swap(f, "chunk_000003.npz", "chunk_000004.npz"), 3),
    "swapped checkpoints": (lambda f: swap(f, "checkpoint_000006.npz", "checkpoint_000007.npz"), 6),
    "truncated chunk": (lambda f: (f / "chunk_000005.npz").write_bytes((f / "chunk_000005.npz").read_bytes()[:100]), 5),
    "empty chunk": (lambda f: (f / "chunk_000000.npz").write_bytes(b""), 0),
    "bit flip in a chunk": (lambda f: flip_bit(f / "chunk_000002.npz"), 2),
    "bit flip in a checkpoint": (lambda f: flip_bit(f / "checkpoint_000008.npz"), 8),
    "missing chunk": (lambda f: (f / "chunk_000007.npz").unlink(), 7),
    "chunk replaced by another run's": (None, 4),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_chunk_is_refused_by_name_and_repair_keeps_the_ones_before(tmp_path, whole, damage):
    spoil, bad = DAMAGE[damage]
    run(stream_to=tmp_path)
    if spoil is None:  # an edited chunk with plausible content
        other = tmp_path / "other"
        run(stream_to=other, key=jax.random.key(4))
        (tmp_path / "chunk_000004.npz").write_bytes((other / "chunk_000004.npz").read_bytes())
    else:
        spoil(tmp_path)
    with pytest.raises(nd.StreamError) as err:
        run(stream_to=tmp_path, resume=True)
    message = str(err.value)
    assert message.startswith(f"stream_to: chunk {bad} of {tmp_path} is damaged (")
    assert f"resume='repair' keeps those {bad} and recomputes from chunk {bad}" in message
    assert isinstance(err.value, ValueError)
    kept = {c: (tmp_path / f"chunk_{c:06d}.npz").read_bytes() for c in range(bad)}
    with pytest.warns(UserWarning, match=f"chunk {bad} of .* is damaged"):
        repaired = run(stream_to=tmp_path, resume="repair")
    assert_same_run(repaired, whole)
    assert all((tmp_path / f"chunk_{c:06d}.npz").read_bytes() == data for c, data in kept.items())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_run(run(stream_to=tmp_path, resume=True), whole)  # whole again


MANIFESTS = {
    "lowered chunks_done": lambda f: (f / "run.json").write_text((f / "run.json").read_text().replace('"chunks_done": 20', '"chunks_done": 7')),
    "lowered chunks_done, checksum redone": lambda f: rewrite_manifest(f, lambda i: i.update(chunks_done=7)),
    "truncated": lambda f: (f / "run.json").write_bytes((f / "run.json").read_bytes()[:50]),
    "empty": lambda f: (f / "run.json").write_bytes(b""),
    "not UTF-8": lambda f: (f / "run.json").write_bytes(b"\xff\xfe{"),
    "a list": lambda f: (f / "run.json").write_text("[1, 2]"),
    "the old format": lambda f: (f / "run.json").write_text(json.dumps({"signature": "abc", "chunks_done": 3})),
    "an entry missing a checksum": lambda f: rewrite_manifest(f, lambda i: i["chunks"][2].pop("chunk_sha256")),
}


@pytest.mark.parametrize("damage", sorted(MANIFESTS))
def test_a_malformed_manifest_gives_one_clear_error(tmp_path, whole, damage):
    run(stream_to=tmp_path)
    MANIFESTS[damage](tmp_path)
    for resume in (True, "repair"):
        with pytest.raises(nd.StreamError) as err:
            run(stream_to=tmp_path, resume=resume)
        message = str(err.value)
        assert message.startswith(f"stream_to: {tmp_path / 'run.json'} is not a valid neurodyn stream manifest (")
        assert message.endswith("resume=False starts the run over in this folder")
    assert_same_run(run(stream_to=tmp_path, resume=False), whole)


def test_renamed_entries_are_refused(tmp_path):
    run(stream_to=tmp_path)
    rewrite_manifest(tmp_path, lambda i: i["chunks"][1].update(chunk="chunk_000002.npz"))
    with pytest.raises(nd.StreamError, match=r"chunk 1 of .* is damaged \(named chunk_000002.npz / checkpoint_000001.npz\)"):
        run(stream_to=tmp_path, resume=True)


def test_resume_false_resets_the_folder(tmp_path):
    run(stream_to=tmp_path)
    with pytest.MonkeyPatch.context() as m:
        kill_at_write(m, 3 * 2 + 2)  # the other run: 2 chunks committed
        with pytest.raises(Killed):
            run(stream_to=tmp_path, key=jax.random.key(9))
    info = manifest(tmp_path)
    assert info["chunks_done"] == 2
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == [
        "checkpoint_000000.npz", "checkpoint_000001.npz", "chunk_000000.npz", "chunk_000001.npz"
    ]
    assert_same_run(run(stream_to=tmp_path, key=jax.random.key(9), resume=True), run(key=jax.random.key(9)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(resume=True), ValueError, "resume=True needs stream_to, the folder of the run to resume"),
        (dict(resume="repair"), ValueError, "resume='repair' needs stream_to, the folder of the run to resume"),
        (dict(stream_to=""), ValueError, "stream_to must name a folder, got '' (write '.' for the current folder)"),
        (dict(stream_to="  "), ValueError, "stream_to must name a folder, got '  ' (write '.' for the current folder)"),
        (dict(stream_to=3), TypeError, "stream_to must be a folder path (str or pathlib.Path), got int"),
        (dict(stream_to="x", resume="yes"), ValueError, "resume must be True, False or 'repair', got 'yes'"),
    ],
)
def test_bad_stream_arguments(kwargs, error, message):
    with pytest.raises(error) as err:
        nd.simulate(LIF, 1.0, 0.1, progress=False, **kwargs)
    assert str(err.value) == message


def test_stream_to_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(nd.StreamError, match="stream_to must be a folder, got the file"):
        nd.simulate(LIF, 1.0, 0.1, progress=False, stream_to=tmp_path / "f")


# -- real kills -----------------------------------------------------------------
CHILD = """
import sys, os
import jax, numpy as np, neurodyn as nd
LIF = nd.neurons.LIF(n=50, tau_m=20.0, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0)
DRIVE = nd.inputs.ornstein_uhlenbeck(mean=250.0, sigma=100.0, tau=5.0) + nd.inputs.poisson(rate=500.0, weight=40.0, n_sources=4)
folder, out = sys.argv[1], sys.argv[2]
run = lambda **kw: nd.simulate(LIF, 300.0, 0.1, inputs=DRIVE, key=jax.random.key(5), chunk_steps=20,
                               record={"spikes": None, "V_m": [0, 7, 49]}, progress=False, **kw)
run()  # compiled before the kills start: they land in the streamed run
print("streaming", flush=True)
res = run(stream_to=folder, resume=True)
print("done", flush=True)
arrays = {"times": res.spikes.times, "indices": res.spikes.indices, "t": res.t, "V_m": res.traces["V_m"],
          "counts": res.spike_counts["neurons"]}
c = res.continuation
for i, leaf in enumerate(jax.tree.leaves((c.state, c.inputs, c.step))):
    arrays[f"carry{i}"] = np.asarray(leaf)
np.savez(out + ".tmp.npz", **arrays)
os.replace(out + ".tmp.npz", out)
"""


def _child(script, folder, out):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.Popen([sys.executable, str(script), str(folder), str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc, what):
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"{what} failed:\n{err[-3000:]}"


def test_sigkill_at_random_moments_resumes_bit_for_bit(tmp_path):
    """Kill a streamed run at random moments; every resume must end at the uninterrupted
    result. NEURODYN_KILL_TESTS=50 runs the acceptance check with 50 kills."""
    kills_wanted = int(os.environ.get("NEURODYN_KILL_TESTS", "3"))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    ref_out = tmp_path / "ref.npz"
    proc = _child(script, tmp_path / "ref", ref_out)
    assert proc.stdout.readline().strip() == "streaming"
    t_start = time.monotonic()
    assert proc.stdout.readline().strip() == "done"
    run_time = time.monotonic() - t_start  # the streamed run: kills land in it
    _finish(proc, "the uninterrupted run")
    ref = np.load(ref_out)
    assert ref["times"].size > 200 and len(json.loads((tmp_path / "ref" / "run.json").read_text())["chunks"]) == 150

    rng = random.Random(int(os.environ.get("NEURODYN_KILL_SEED", "0")))
    kills, finished, folder = 0, 0, tmp_path / "killed"
    committed, uncommitted = [], 0  # chunks committed at each kill; kills that left files beyond the manifest
    out = tmp_path / "out.npz"
    while kills < kills_wanted:
        done = manifest(folder)["chunks_done"] if (folder / "run.json").exists() else 0
        proc = _child(script, folder, out)
        assert proc.stdout.readline().strip() == "streaming"
        if done < 150:  # kill within what is left of the run (a complete folder is only read back)
            time.sleep(rng.uniform(0.0, run_time * (1.1 - done / 150)))
        if done < 150 and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            if (folder / "run.json").exists():
                named = {e[k] for e in manifest(folder)["chunks"] for k in ("chunk", "checkpoint")}
                committed.append(len(named) // 2)
                uncommitted += any(p.name not in named | {"run.json"} for p in folder.iterdir())
            continue
        _finish(proc, "a resumed run")
        finished += 1
        got = np.load(out)
        assert sorted(got.files) == sorted(ref.files)
        for name in ref.files:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
        out.unlink()
        for p in folder.iterdir():  # the next series of kills starts over
            p.unlink()
    # the last series: resume to the end
    _finish(proc := _child(script, folder, out), "the final resume")
    got = np.load(out)
    for name in ref.files:
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
    print(f"\n{kills} SIGKILLs (chunks committed at the kill: {sorted(committed)}; {uncommitted} left files "
          f"beyond the manifest), {finished + 1} resumed runs equal to the uninterrupted one, none refused")
