r"""Figures of training runs in the style of Section 6 (Figures 3, 6-8, Tables 1-2), written as PNG files.

* :func:`plot_runs`: per-epoch curves of one or more runs (training objective and validation loss,
  log scale, as in Figures 3 and 6-8 left; accuracy or code sparsity, as in their right panels) and the
  Table 2 measure per hidden layer after the last epoch;
* :func:`plot_reconstructions`: images, their network outputs (and noisy inputs), as in Figures 4, 5,
  9-12.

Uses Matplotlib's Agg canvas directly (no global backend is selected, nothing is shown).

Examples
--------
>>> import tempfile, os
>>> from bregnet.training import TrainingLog
>>> log = TrainingLog([{"epoch": 0, "objective": 1.0, "val_loss": 1.1, "linear_rate": [0.5]},
...                    {"epoch": 1, "objective": 0.5, "val_loss": 0.6, "linear_rate": [0.6]}])
>>> with tempfile.TemporaryDirectory() as d:
...     p = plot_runs({"lbn-s": log}, os.path.join(d, "run.png"), title="toy")
...     os.path.getsize(p) > 1000
True
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_runs", "plot_reconstructions"]


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path) -> str:
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)
    return path


def _column(log, key):
    vals = log[key]
    ep = log["epoch"]
    pairs = [(e, v) for e, v in zip(ep, vals) if v is not None and np.isfinite(v)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def plot_runs(runs: dict, path, *, title: str = "") -> str:
    """Plot runs ``{label: TrainingLog}`` into one PNG; returns the path.

    Panels: objective (solid) and validation loss (dashed) per epoch on a log scale; validation
    accuracy if the logs have it, else code sparsity if they have it; the Table 2 measure per hidden
    layer of the last epoch.
    """
    fig = _figure(15, 4.2)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    colours = [f"C{i}" for i in range(10)]
    any_acc = any(any(v is not None for v in log["val_accuracy"]) or any(v is not None for v in log["accuracy"])
                  for log in runs.values())
    for (label, log), c in zip(runs.items(), colours):
        e, v = _column(log, "objective")
        ax1.plot(e, v, "-", color=c, label=f"{label} training objective")
        e, v = _column(log, "val_loss")
        if v:
            ax1.plot(e, v, "--", color=c, label=f"{label} validation loss")
        if any_acc:
            for key, style in (("accuracy", ":"), ("val_accuracy", "-")):
                e, v = _column(log, key)
                if v:
                    ax2.plot(e, [100 * x for x in v], style, color=c,
                             label=f"{label} {'test' if key == 'val_accuracy' else 'train'}")
        else:
            e, v = _column(log, "code_sparsity")
            if v:
                ax2.plot(e, [100 * x for x in v], "-", color=c, label=f"{label} (training codes)")
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("objective / loss")
    ax1.set_title("training objective and validation loss")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy (%)" if any_acc else "code sparsity (% zeros)")
    ax2.set_title("accuracy" if any_acc else "sparsity of the code")
    if ax2.lines:
        ax2.legend(fontsize=7)
    width = 0.8 / max(len(runs), 1)
    for i, ((label, log), c) in enumerate(zip(runs.items(), colours)):
        rate = log.last.get("linear_rate") if len(log) else None
        if rate:
            x = np.arange(1, len(rate) + 1) + (i - (len(runs) - 1) / 2) * width
            ax3.bar(x, [100 * r for r in rate], width=width, color=c, label=label)
    ax3.set_xlabel("hidden layer")
    ax3.set_ylabel("% pre-activations with z = max(z, 0)")
    ax3.set_title("Table 2 measure (linear activations), last epoch")
    ax3.set_ylim(0, 100)
    if ax3.patches:
        ax3.legend(fontsize=7)
        ax3.set_xticks(range(1, 1 + max(len(log.last.get("linear_rate") or []) for log in runs.values())))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_reconstructions(images, outputs: dict, image_shape, path, *, noisy=None, n: int = 8, title: str = "") -> str:
    """Rows of images: the originals, optionally the noisy inputs, then each ``{label: outputs}``; returns the path.

    ``images`` and the outputs are arrays of flattened images (rows), shown for the first ``n`` samples;
    centred images are shown as they are (each row of panels shares a grey scale).
    """
    rows = [("original", np.asarray(images))]
    if noisy is not None:
        rows.append(("noisy input", np.asarray(noisy)))
    rows += [(k, np.asarray(v)) for k, v in outputs.items()]
    n = min(n, rows[0][1].shape[0])
    fig = _figure(1.2 * n + 1.5, 1.3 * len(rows) + 0.6)
    axes = np.atleast_2d(fig.subplots(len(rows), n))
    lo = float(np.min(rows[0][1][:n]))
    hi = float(np.max(rows[0][1][:n]))
    for r, (label, A) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            ax.imshow(A[i].reshape(image_shape), cmap="gray", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)
