"""Figure 8 (Section 6.3): Fashion-MNIST-10K, SGD-BP for 1,500 epochs, and undercomplete autoencoders.

* ``sgd-bp-1500``: the ``fig7`` SGD-BP setting (batch 200, lr 4e-4, alpha = 0.055) for 1,500 epochs
  (equal iteration count with N = 30 inner steps of LBN / ISGD-BP over 50 epochs);
* ``uae-lbn``, ``uae-sgd-bp``: the undercomplete autoencoder 784-784-70-784-784, ReLU code (no l1 term),
  50 epochs, trained by LBN (batch 200, tau_k = 1, N = 30) and SGD-BP (lr 4e-4).

The left/middle panels compare with the ``fig7`` LBN and ISGD-BP results (horizontal lines at their
end-of-training values) when ``fig7`` has results; the right panel compares the UAE trainings with
the 50-epoch sparse autoencoders of ``fig7``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .autoencoders import AE_LABELS, ae_network, batch_sum_methods, bp_opts, lifted_opts
from .common import Method, Scoring, context, run_experiment
from .fig7 import ALPHA, BATCH, LR, TAU, problem


def build(args):
    dataset, P, label, shape, mean, width, n_inner = problem(args)
    long_epochs = args.epochs or (3 if args.quick else 1500)
    uae_epochs = args.uae_epochs or (2 if args.quick else 50)
    batch = 20 if args.quick else BATCH
    code = 8 if args.quick else 70
    net = ae_network(P.X_train.shape[1], width, alpha=ALPHA, seed=args.seed, output=args.output_activation,
                     code_threshold=args.code_threshold)
    uae = ae_network(P.X_train.shape[1], width, alpha=0.0, seed=args.seed, output=args.output_activation,
                     code_width=code, sparse=False)
    PU = Scoring("autoencoder", P.X_train, P.Y_train, P.X_val, P.Y_val, alpha=0.0, code_layer=None)
    methods = [
        Method("uae-lbn", "lbn-s", uae, lifted_opts(batch_size=batch, n_inner=n_inner, tau=TAU, alpha=0.0),
               uae_epochs, PU),
        Method("uae-sgd-bp", "sgd-bp", uae, bp_opts(lr=LR, alpha=0.0, batch_size=batch), uae_epochs, PU),
        Method("sgd-bp-1500", "sgd-bp", net, bp_opts(lr=LR, alpha=ALPHA, batch_size=batch), long_epochs, P),
    ]
    if getattr(args, "batch_sum", False):       # the batch-sum reading of the printed rates (not the paper's default)
        methods += [m for m in batch_sum_methods(uae, PU, uae_epochs, batch_size=batch, tau=TAU, lr=LR, n_inner=n_inner,
                                                 alpha=0.0, prefix="uae-") if m.name != "uae-isgd-bp-sum"]
    config = {"dataset": dataset, "data_label": f"{label}-10K denoising: {P.X_train.shape[0]} training, "
                                                f"{P.X_val.shape[0]} validation images",
              "alpha": ALPHA, "uae_code_width": code, "uae_layer_sizes": list(uae.layer_sizes),
              "uae_activations": [repr(a) for a in uae.activations], "output_activation": args.output_activation,
              "batch_sum": bool(getattr(args, "batch_sum", False)),
              "paper_epochs": {"sgd-bp-1500": 1500, "uae-lbn": 50, "uae-sgd-bp": 50, "uae-lbn-sum": 50,
                               "uae-sgd-bp-sum": 50}}
    return methods, config


def fig7_results(args, out: Path) -> Path:
    """fig7's metrics.json that Fig. 8 compares with: ``--fig7-results``, else ``fig7/`` next to the output."""
    return Path(args.fig7_results) if args.fig7_results else out.parent / "fig7" / "metrics.json"


def run(args, argv):
    methods, config = build(args)
    ctx = context("fig8", args, argv)
    note = None
    if not args.quick and ((args.epochs and args.epochs < 1500) or (args.uae_epochs and args.uae_epochs < 50)):
        note = f"reduced: SGD-BP long run {args.epochs or 1500} epochs (paper 1500), UAE {args.uae_epochs or 50} (paper 50)"
    fig7_metrics = fig7_results(args, ctx.out)

    def plot(ctx, meta):
        import matplotlib.pyplot as plt
        recs = meta["methods"]
        f7 = json.loads(fig7_metrics.read_text())["methods"] if fig7_metrics.exists() else {}
        fig, ax = plt.subplots(1, 3, figsize=(16, 4))
        if "sgd-bp-1500" in recs:
            h = recs["sgd-bp-1500"]["history"]
            ax[0].plot(h["epoch"], h["train_objective"], "-", color="C3", label="SGD-BP long train")
            ax[0].plot(h["epoch"], h["val_mse"], "--", color="C3", label="SGD-BP long val")
            ax[1].plot(h["epoch"], np.array(h["train_sparsity"]) * 100, color="C3", label="SGD-BP long")
        for k, c in (("lbn", "C0"), ("isgd-bp", "C4")):
            if k in f7:
                f = f7[k]["final"]
                ax[0].axhline(f["train_objective"], color=c, ls="-", lw=0.8, label=f"{AE_LABELS[k]} end train (fig7)")
                ax[0].axhline(f["val_mse"], color=c, ls="--", lw=0.8, label=f"{AE_LABELS[k]} end val (fig7)")
                ax[1].axhline(f["train_sparsity"] * 100, color=c, lw=0.8, label=f"{AE_LABELS[k]} end (fig7)")
        ax[0].set_yscale("log"); ax[0].set_xlabel("epoch"); ax[0].legend(fontsize=6)
        ax[1].set_xlabel("epoch"); ax[1].set_ylabel("code sparsity (%)"); ax[1].legend(fontsize=6)
        for k, c, src in (("uae-lbn", "C6", recs), ("uae-sgd-bp", "C7", recs), ("lbn", "C0", f7), ("sgd-bp", "C3", f7)):
            if k in src:
                h = src[k]["history"]
                lab = AE_LABELS.get(k, k) + ("" if k.startswith("uae") else " sparse AE (fig7)")
                ax[2].plot(h["epoch"], h["train_mse"], "-", color=c, label=f"{lab} train MSE")
                ax[2].plot(h["epoch"], h["val_mse"], "--", color=c, label=f"{lab} val MSE")
        ax[2].set_yscale("log"); ax[2].set_xlabel("epoch"); ax[2].legend(fontsize=6)
        fig.suptitle(f"Fig. 8, {config['data_label']}", fontsize=9)
        fig.tight_layout(); fig.savefig(ctx.out / "fig8.png", dpi=90); plt.close(fig)

    return run_experiment(ctx, config=config, methods=methods, plot=plot, reduced_note=note)
