"""Surrogate-gradient training steps per second: neurodyn against snnTorch (torch CPU).

The network of ``examples/learning_surrogate_digits.py`` (64 digit pixels as constant
currents -> 64 LIF (SuperSpike, beta 5/mV, detached zero reset) -> dense exponential
current synapses -> 10 leaky outputs, class score = mean output membrane over 25 steps of
1 ms), a batch of 64 digits, one Adam step on the cross-entropy per training step.

neurodyn runs its own ``simulate`` (vmapped over the batch, checkpointed BPTT); snnTorch runs
``snn.Leaky(reset_mechanism="zero", spike_grad=fast_sigmoid)`` for the hidden layer and the
same exponential-Euler output in torch. Same work: both start from the same weights, see the
same batches; their first losses must agree to float32 rounding (same forward) and both
losses must fall. Timing: medians of >= 5 interleaved runs of ``--steps`` training steps.

snnTorch lives in a separate virtual environment (``--torch-python``, default
``/work/wt/torchvenv/bin/python``: ``pip install torch snntorch numpy`` there); this script
runs it as a subprocess, which times itself after a warm-up.

    python benchmarks/surrogate.py [--steps 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from _common import header, table  # noqa: E402

TORCH_SIDE = r'''
import json, sys, time
import numpy as np, torch, snntorch as snn
from snntorch import surrogate
torch.manual_seed(0)
d = np.load(sys.argv[1]); steps = int(sys.argv[2]); batches = d["batches"]; x = torch.tensor(d["x"]); y = torch.tensor(d["y"]).long()
a, R, alpha, STEPS = float(d["a"]), float(d["R"]), float(d["alpha"]), int(d["T"])
w_in = torch.tensor(d["w_in"], requires_grad=True); w_out = torch.tensor(d["w_out"], requires_grad=True)
lif = snn.Leaky(beta=a, threshold=1.0, spike_grad=surrogate.fast_sigmoid(slope=float(d["beta"])), reset_mechanism="zero")
opt = torch.optim.Adam([w_in, w_out], lr=float(d["lr"]))
def loss_of(xb, yb):
    cur = (xb @ w_in) * (R * (1 - a))
    mem = torch.zeros_like(cur); v = torch.zeros(len(xb), 10); g = torch.zeros(len(xb), 10); acc = 0
    for _ in range(STEPS):
        acc = acc + v
        spk, mem = lif(cur, mem)
        v = a * v + g * (R * (1 - a))
        g = alpha * g + spk @ w_out
    logits = acc / STEPS * 5.0
    return torch.nn.functional.cross_entropy(logits, yb)
def step(i):
    idx = torch.tensor(batches[i % len(batches)]).long()
    opt.zero_grad(); loss = loss_of(x[idx], y[idx]); loss.backward(); opt.step(); return float(loss)
losses = [step(i) for i in range(steps)]   # the same-work run (also the warm-up)
t = time.perf_counter()
for i in range(steps): step(i)
print(json.dumps({"losses": losses, "seconds": time.perf_counter() - t, "threads": torch.get_num_threads()}))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--torch-python", default=os.environ.get("NEURODYN_TORCH_PYTHON", "/work/wt/torchvenv/bin/python"))
    args = ap.parse_args()
    header()

    import jax
    import jax.numpy as jnp
    import optax

    import learning_surrogate_digits as ex

    x_tr, _, y_tr, _ = ex.load_digits()
    net, params0 = ex.build_network()
    rng = np.random.default_rng(0)
    batches = np.stack([rng.permutation(len(x_tr))[:64] for _ in range(args.steps)])
    lr = 2e-2
    hid = net.populations["hid"].model
    dt = ex.DT
    data = dict(x=x_tr, y=y_tr, batches=batches, w_in=np.asarray(params0["w_in"]), w_out=np.asarray(params0["w_out"]),
                a=np.exp(-dt / float(hid.tau_m)), R=float(hid.tau_m) / float(hid.C_m), alpha=np.exp(-dt / 5.0),
                T=ex.STEPS, beta=float(hid.surrogate.beta), lr=lr)

    opt = optax.adam(lr)

    @jax.jit
    def step(params, state, xb, yb):
        value, grads = jax.value_and_grad(lambda p: ex.loss(net, p, xb, yb))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    def neurodyn_run():
        params, state = params0, opt.init(params0)
        losses = []
        t = time.perf_counter()
        for i in range(args.steps):
            idx = batches[i]
            params, state, value = step(params, state, x_tr[idx], y_tr[idx])
            losses.append(value)
        losses = [float(v) for v in losses]
        return losses, time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        np.savez(path, **data)
        script = Path(tmp) / "torch_side.py"
        script.write_text(TORCH_SIDE)

        def torch_run():
            out = subprocess.run([args.torch_python, str(script), str(path), str(args.steps)], capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"snnTorch side failed: {out.stderr.strip().splitlines()[-1:]}")
            info = json.loads(out.stdout.strip().splitlines()[-1])
            return info["losses"], info["seconds"], info["threads"]

        nd_losses, _ = neurodyn_run()  # compiles
        th_losses, _, threads = torch_run()
        print(f"same work: first loss neurodyn {nd_losses[0]:.6f}, snnTorch {th_losses[0]:.6f}; "
              f"mean of the last 5: {np.mean(nd_losses[-5:]):.4f} vs {np.mean(th_losses[-5:]):.4f}")
        if abs(nd_losses[0] - th_losses[0]) > 1e-3 * abs(th_losses[0]):
            raise SystemExit("not the same work: the first losses differ (different forward)")
        if not (np.mean(nd_losses[-5:]) < nd_losses[0] and np.mean(th_losses[-5:]) < th_losses[0]):
            raise SystemExit("not the same work: a loss did not fall")
        nd_t, th_t = [], []
        for _ in range(args.runs):  # interleaved
            nd_t.append(neurodyn_run()[1] / args.steps)
            th_t.append(torch_run()[1] / args.steps)
    rows = [["neurodyn (JAX, XLA CPU)", f"{1 / np.median(nd_t):.1f}", f"{np.median(nd_t) * 1e3:.1f}"],
            [f"snnTorch (torch CPU, {threads} threads)", f"{1 / np.median(th_t):.1f}", f"{np.median(th_t) * 1e3:.1f}"]]
    table(rows, ["implementation", "training steps / s", "ms / step (median)"])
    print(f"ratio of medians (snnTorch / neurodyn time per step): {np.median(th_t) / np.median(nd_t):.2f}x "
          f"({args.runs} interleaved runs of {args.steps} steps, batch 64, {ex.HIDDEN} hidden, {ex.STEPS} time steps)")


if __name__ == "__main__":
    main()
