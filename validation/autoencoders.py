"""Shared pieces of the sparse (denoising) autoencoder experiments (Sections 5.2, 5.3, 6.2, 6.3).

Network (Section 6.2): L = 4 affine layers of width 784 (784-784-784-784-784); ReLU after layers 1 and 3,
soft-thresholding after layer 2 (the code x_2, penalised by alpha ||x_2||_1), and an output activation
the paper does not state: we use the identity (the images are centred, so the targets have negative
entries that a ReLU output cannot reach); ``--output-activation relu`` switches to the paper's "ReLU for all
other layers" literally.  The soft-thresholding activation's own threshold is also not stated: we use
``code_threshold = alpha`` (configurable).  Lifted energy: lambda_l = 1 for every layer.
"""
from __future__ import annotations

import numpy as np

from .common import Method, Scoring, plot_images

AE_LABELS = {"lbn-s": "LBN-S", "lbn-d": "LBN-D", "lbn": "LBN", "gd-bp": "GD-BP", "sgd-bp": "SGD-BP",
             "isgd-bp": "ISGD-BP", "sgd-bp-1500": "SGD-BP (long)", "uae-lbn": "UAE LBN", "uae-sgd-bp": "UAE SGD-BP",
             "lbn-sum": "LBN (batch-sum)", "sgd-bp-sum": "SGD-BP (batch-sum)", "isgd-bp-sum": "ISGD-BP (batch-sum)",
             "uae-lbn-sum": "UAE LBN (batch-sum)", "uae-sgd-bp-sum": "UAE SGD-BP (batch-sum)",
             "lbn-auxsp": "LBN (sparsity of X_2)"}

#: the methods of the batch-sum reading (``--batch-sum``): the printed rates read for an objective summed over the
#: batch, as the step rule's factor s in tau_w = 1.99 s / (||X||^2 + tau_k/2) (Section 6.2) suggests
BATCH_SUM = ("lbn-sum", "sgd-bp-sum", "isgd-bp-sum")


def ae_network(n_in: int, width: int, *, alpha: float, seed: int, output: str = "identity", code_threshold=None,
               code_width=None, sparse=True):
    from bregnet.activations import get
    from bregnet.network import glorot_init
    cw = code_width or width
    sizes = [n_in, width, cw, width, n_in]
    code_act = get("soft_threshold", alpha=float(code_threshold if code_threshold else alpha)) if sparse else "relu"
    acts = ["relu", code_act, "relu", output]
    return glorot_init(sizes, acts, seed=seed)


def add_args(p):
    p.add_argument("--output-activation", default="identity", choices=("identity", "relu"),
                   help="output activation of the autoencoders (not stated in the paper; default identity)")
    p.add_argument("--code-threshold", type=float, default=None,
                   help="threshold of the soft-thresholding code activation (default: alpha)")


def lifted_opts(*, batch_size, n_inner, tau, alpha, code_layer=2, deterministic=False):
    """Options of LBN-S (LBN-D with ``deterministic``); ``l1`` is the run's ``(layer, alpha)`` l1 term.

    ``warm_start="epoch"``: Algorithm 1's power-iteration warm starts reset every epoch, as when the committed
    results were made (the solver's default carries them across epochs).
    """
    o = {"n_inner": n_inner, "step_scale": 1.99, "l1": (code_layer, alpha) if alpha > 0 else None,
         "warm_start": "epoch"}
    if not deterministic:
        o.update(batch_size=batch_size, prox_weight=float(tau), shuffle=True)
    return o


def bp_opts(*, lr, alpha, code_layer=2, batch_size=None, tau=None, inner=None):
    """Options of SGD-BP (GD-BP without ``batch_size``, ISGD-BP with ``tau``); ``l1_alpha``/``l1_layer`` are the
    run's l1 term."""
    o = {"lr": lr, "loss": "mse", "l1_alpha": alpha, "l1_layer": code_layer if alpha > 0 else None}
    if batch_size is not None:
        o["batch_size"] = batch_size
    if tau is not None:
        o.update(tau=tau, inner_steps=inner)
    return o


def batch_sum_opts(kind: str, *, batch_size, tau, lr, n_inner, alpha):
    r"""Options of the batch-sum reading of Section 6.3's printed rates, for ``kind`` ``"lbn"``, ``"sgd-bp"`` or
    ``"isgd-bp"``.

    Our objectives are means over the batch :math:`B`; the printed :math:`\tau_k` and learning rates are read here
    for the sum :math:`\sum_{i\in B} f_i = |B|\,\bar f` (the reading that matches SGD-BP to the paper in Table 1).
    Dividing the summed problem by :math:`|B|` gives the same minimisers and iterates with

    * LBN: proximal weight :math:`\tau_k/|B|` (the term :math:`\tfrac{\tau_k}{2}\|\Theta-\Theta^k\|^2`, (24));
    * SGD-BP: learning rate :math:`|B|\,\eta`;
    * ISGD-BP (22): :math:`\sum_B f_i + \tfrac{1}{2\tau^k}\|\Theta-\Theta^k\|^2` with GD steps :math:`\eta` is
      the mean with proximal step :math:`|B|\tau^k` and GD steps :math:`|B|\,\eta`.

    >>> batch_sum_opts("lbn", batch_size=20, tau=0.5, lr=1e-3, n_inner=15, alpha=0.09)["prox_weight"]
    0.025
    >>> o = batch_sum_opts("isgd-bp", batch_size=20, tau=0.5, lr=1e-3, n_inner=15, alpha=0.09)
    >>> o["lr"], o["tau"], o["inner_steps"]
    (0.02, 10.0, 15)
    """
    if kind == "lbn":
        return lifted_opts(batch_size=batch_size, n_inner=n_inner, tau=tau / batch_size, alpha=alpha)
    if kind == "sgd-bp":
        return bp_opts(lr=lr * batch_size, alpha=alpha, batch_size=batch_size)
    if kind == "isgd-bp":
        return bp_opts(lr=lr * batch_size, alpha=alpha, batch_size=batch_size, tau=tau * batch_size, inner=n_inner)
    raise ValueError(f"kind must be 'lbn', 'sgd-bp' or 'isgd-bp'; got {kind!r}")


def aux_sparsity_method(lbn):
    """``lbn-auxsp``: the Method ``lbn`` (LBN at the paper's settings) also recording the code sparsity of the
    auxiliary variables X_2 (``LBNS(aux_sparsity=True)``, the NumPy path), the other reading of Section 6.2's
    "percentage of zero-valued entries of the code X_2"."""
    return Method("lbn-auxsp", lbn.solver, lbn.network, {**lbn.options, "aux_sparsity": True}, lbn.epochs, lbn.scoring)


def batch_sum_methods(net, scoring, epochs, *, batch_size, tau, lr, n_inner, alpha, prefix="") -> list:
    """The :data:`BATCH_SUM` methods (names with ``prefix``, e.g. ``"uae-"``) of one experiment, by
    :func:`batch_sum_opts`."""
    solver = {"lbn": "lbn-s", "sgd-bp": "sgd-bp", "isgd-bp": "isgd-bp"}
    out = []
    for name in BATCH_SUM:
        kind = name[:-len("-sum")]
        out.append(Method(prefix + name, solver[kind], net, batch_sum_opts(kind, batch_size=batch_size, tau=tau, lr=lr,
                                                                            n_inner=n_inner, alpha=alpha), epochs, scoring))
    return out


def image_panels(ctx, meta, nets, scoring: Scoring, *, clean_train, clean_val, image_shape, mean, names, figs,
                 labels, n_show=6, noisy=False, seed=0):
    """Reconstruction figures: ground truth (and noisy input) above each method's output."""
    rng = np.random.default_rng([seed, 5])
    for split, X, clean, fname in (("training", scoring.X_train, clean_train, figs[0]),
                                   ("validation", scoring.X_val, clean_val, figs[1])):
        idx = np.sort(rng.choice(X.shape[0], size=min(n_show, X.shape[0]), replace=False))
        rows = [("ground truth", clean[idx])]
        if noisy:
            rows.append(("noisy input", X[idx]))
        for k in names:
            if k in nets:
                rows.append((labels.get(k, k), nets[k].forward(X[idx])))
        plot_images(ctx.out / fname, rows, image_shape=image_shape, mean=mean,
                    title=f"{split} images ({meta['configuration'].get('data_label', '')})")
