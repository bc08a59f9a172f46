"""The reading study of Section 6.1 (issue 17): where the printed description admits more than one reading.

Every run is a named, committed configuration (a *reading*): one choice for each place where Section 6.1 is
ambiguous or silent.  The readings are varied one at a time from a base reading (a sequence of ablations), on the
real data, and nothing is tuned to the paper's numbers.  The factors (``FACTORS``; the report lists them with
what the paper prints):

* ``arch``: ``"A"`` = 784-64-64-10 (erratum (o): L = 3) or ``"B"`` = 784-784-64-64-10 (the printed L = 4 with
  m_1 = 784, m_2 = m_3 = 64, m_4 = 10 and an input m_0 = 784; the only reading with Table 2's three hidden layers);
* ``tau``: the proximal weight rho of our mean-over-batch energy: 100 (the printed tau^k = 100 as a weight of an
  energy averaged over the batch), 1 (the same tau^k with an energy summed over the batch of 100), 0.01 and 1e-4
  (tau^k as 1/weight, the print of (24) ``1/(2 tau^k)||Theta - Theta^k||^2``, with the mean or the sum);
* ``lr`` (SGD-BP): the printed 1e-3 for a mean-over-batch loss, or 0.1 (the same for a loss summed over the batch);
* ``init``: Glorot uniform with zero biases (``glorot``), Glorot normal (``glorot-normal``), Glorot uniform with
  biases 0.1 (``glorot-bias0.1``);
* ``centre``: the training mean image subtracted (the paper: "centred") or raw pixels in [0, 1];
* ``output``: identity output with the half squared error on one-hot targets (MSE, as our Table 1), or a
  softmax output with its Bregman loss (for LBN) / cross-entropy (for SGD-BP);
* ``n_inner``: N = 15 (printed) or 2 (a cost reading, not an ambiguity: recorded to separate speed from accuracy).

The readings of the printed Algorithm 1 are options of :class:`bregnet.solvers.implicit_stochastic.LBNS`
(:mod:`bregnet.solvers.readings`, NumPy path): ``step_rule`` (the printed ``tau_W = 1.99/(||X_l||^2 + tau_k/2)``,
``tau_x = 1.99/||W_l||^2`` for a mean or a summed batch objective, against the corrected rules), ``x_anchor`` (the
x-update at Theta_j^k as printed), ``loops`` (the printed nesting), ``prox_anchor`` (Theta^k the start of the batch or
of the epoch) and ``aux_accuracy`` (training accuracy also measured on the auxiliary variables).

``python validation/run.py study --dataset fashion-mnist --methods B-tau1,B-sgd-lr0.1 ...``: the methods are the
readings (``READINGS``); results go to ``results/study/DATASET/`` (``--update-results``), one record per reading,
with the engine's checkpoints, so separate processes may train different readings into one directory.
``--epochs K`` runs every chosen reading for K epochs (a screening run, marked reduced; a later run with more
epochs continues it exactly with ``--resume``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .common import Method, Scoring, context, method_colours, run_experiment

#: the architectures read from Section 6.1
ARCHS = {"A": (64, 64), "B": (784, 64, 64)}

#: the factors and their levels; the first level of each is the base reading's (the paper's printed settings
#: in our normalisation, architecture B)
FACTORS = {
    "arch": ("B", "A"),
    "tau": (100.0, 1.0, 0.01, 1e-4),
    "lr": (1e-3, 0.1),
    "init": ("glorot", "glorot-normal", "glorot-bias0.1"),
    "centre": (True, False),
    "output": ("mse", "softmax"),
    "n_inner": (15, 2),
    "step_rule": ("corrected", "printed-mean", "printed-sum"),
    "x_anchor": ("current", "batch_start"),
    "loops": ("sweeps", "layerwise"),
    "prox_anchor": ("batch", "epoch"),
    "aux_accuracy": (False, True),
}
#: the factors that are options of LBNS (bregnet.solvers.readings), passed only where not at bregnet's default
SOLVER_READINGS = ("step_rule", "x_anchor", "loops", "prox_anchor", "aux_accuracy")


@dataclass(frozen=True)
class Reading:
    """One configuration of the study: a method (``"lbn"``, ``"sgd-bp"``, ``"classical-lifted"``) and a level of
    every factor (:data:`FACTORS`)."""

    name: str
    method: str
    arch: str = "B"
    tau: float = 100.0
    lr: float = 1e-3
    init: str = "glorot"
    centre: bool = True
    output: str = "mse"
    n_inner: int = 15
    step_rule: str = "corrected"
    x_anchor: str = "current"
    loops: str = "sweeps"
    prox_anchor: str = "batch"
    aux_accuracy: bool = False
    epochs: int = 100
    note: str = ""
    changed: tuple = field(default=())

    def factors(self) -> dict:
        return {k: getattr(self, k) for k in FACTORS}


def _readings() -> dict:
    """The named readings: the bases (LBN, SGD-BP, classical lifted at both architectures and both batch
    normalisations) and one-factor ablations from the LBN base of architecture B with tau = 1."""
    out = {}

    def add(r: Reading, **changes):
        r = replace(r, **changes, changed=tuple(changes))
        out[r.name] = r

    for arch in ARCHS:
        add(Reading(f"{arch}-tau100", "lbn", arch=arch, tau=100.0, note="printed tau^k as a weight, mean energy"))
        add(Reading(f"{arch}-tau1", "lbn", arch=arch, tau=1.0, note="printed tau^k as a weight, energy summed"))
        add(Reading(f"{arch}-sgd-lr0.001", "sgd-bp", arch=arch, lr=1e-3, note="printed lr, mean loss"))
        add(Reading(f"{arch}-sgd-lr0.1", "sgd-bp", arch=arch, lr=0.1, note="printed lr, loss summed"))
        add(Reading(f"{arch}-classical", "classical-lifted", arch=arch, epochs=30, note="penalty 1, 30 sweeps"))
    base = out["B-tau1"]
    add(replace(base, name="B-tau0.01", note="tau^k as 1/weight, mean energy"), tau=0.01)
    add(replace(base, name="B-tau0.0001", note="tau^k as 1/weight, energy summed"), tau=1e-4)
    add(replace(base, name="B-tau1-normal", note="Glorot normal"), init="glorot-normal")
    add(replace(base, name="B-tau1-bias0.1", note="biases 0.1"), init="glorot-bias0.1")
    add(replace(base, name="B-tau1-raw", note="pixels not centred"), centre=False)
    add(replace(base, name="B-tau1-softmax", note="softmax output, its Bregman loss"), output="softmax")
    add(replace(base, name="B-tau1-N2", note="N = 2 sweeps per batch"), n_inner=2)
    for arch in ARCHS:   # readings of the printed Algorithm 1 (NumPy path; architecture A is 10x cheaper)
        for tau in (1.0, 100.0):
            b = out[f"{arch}-tau{tau:g}"]
            add(replace(b, name=f"{b.name}-auxacc", note="accuracy also on the auxiliary variables"),
                aux_accuracy=True)
        b = out[f"{arch}-tau100"]
        add(replace(b, name=f"{arch}-tau100-printed-steps", note="printed steps, mean energy"), step_rule="printed-mean")
        b = out[f"{arch}-tau1"]
        add(replace(b, name=f"{arch}-tau1-printed-steps", note="printed steps, summed energy"), step_rule="printed-sum")
        add(replace(b, name=f"{arch}-tau1-x-anchor", note="x-step at Theta_j^k"), x_anchor="batch_start")
        add(replace(b, name=f"{arch}-tau1-layerwise", note="printed loop nesting"), loops="layerwise")
        add(replace(b, name=f"{arch}-tau1-epoch-anchor", note="Theta^k at the start of the epoch"),
            prox_anchor="epoch")
    sgd = out["B-sgd-lr0.1"]
    add(replace(sgd, name="B-sgd-lr0.1-softmax", note="softmax output, cross-entropy"), output="softmax")
    return out


READINGS = _readings()


def network(reading: Reading, n_in: int, n_out: int, seed: int):
    """The initial network of a reading (one draw per architecture and initialisation, shared by its methods)."""
    from bregnet.network import Network, glorot_init
    sizes = [n_in, *ARCHS[reading.arch], n_out]
    acts = ["relu"] * (len(sizes) - 2) + ["softmax" if reading.output == "softmax" else "identity"]
    net = glorot_init(sizes, acts, seed=seed, bias=0.1 if reading.init == "glorot-bias0.1" else 0.0)
    if reading.init == "glorot-normal":           # W ~ N(0, 2/(n_in + n_out)), the same generator stream
        rng = np.random.default_rng(seed)
        W = tuple(rng.normal(0.0, np.sqrt(2.0 / (a + b)), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:]))
        net = Network(W, net.biases, net.activations)
    return net


def options(reading: Reading) -> tuple[str, dict]:
    """``(solver, options)`` of the engine for a reading (Table 1's settings apart from the reading's factors)."""
    if reading.method == "lbn":
        extra = {k: getattr(reading, k) for k in SOLVER_READINGS
                 if getattr(reading, k) != Reading.__dataclass_fields__[k].default}
        return "lbn-s", {"batch_size": 100, "n_inner": reading.n_inner, "prox_weight": reading.tau,
                         "step_scale": 1.99, "shuffle": True, **extra}
    if reading.method == "sgd-bp":
        loss = "cross_entropy" if reading.output == "softmax" else "mse"
        return "sgd-bp", {"batch_size": 100, "lr": reading.lr, "loss": loss}
    return "classical-lifted", {"penalty": 1.0, "x_steps": 5}


def build(args):
    from bregnet.datasets import load
    dataset = args.dataset or ("digits" if args.quick else "fashion-mnist")
    data = {}

    def scoring(centre: bool) -> Scoring:
        if centre not in data:
            kw = {"n_train": 200, "n_test": 100} if args.quick else {}
            ds = load(dataset, data_dir=args.data_dir, seed=args.seed, centre=centre, **kw)
            data[centre] = Scoring("classification", ds.X_train, ds.Y_train, ds.X_test, ds.Y_test,
                                   labels={"dataset": ds.label})
        return data[centre]

    methods = []
    chosen = args.methods or []
    for r in READINGS.values():
        if chosen and r.name not in chosen:        # load only the data the chosen readings need
            S = None
        else:
            S = scoring(r.centre)
        if args.quick:
            r = replace(r, arch="A", n_inner=min(r.n_inner, 3))
        solver, opts = options(r)
        n_in = S.X_train.shape[1] if S is not None else 784
        net = network(r, n_in, 10, args.seed) if S is not None else None
        epochs = args.epochs or (2 if args.quick else r.epochs)
        methods.append(Method(r.name, solver, net, opts, epochs, S, r.note))
    label = next((S.labels["dataset"] for S in data.values()), dataset)
    config = {"dataset": dataset, "dataset_label": label,
              "readings": {r.name: {"method": r.method, **r.factors(), "note": r.note, "changed": list(r.changed),
                                    "epochs": r.epochs} for r in READINGS.values()},
              "factors": {k: list(v) for k, v in FACTORS.items()},
              "paper_epochs": {r.name: r.epochs for r in READINGS.values()},
              "comparable_to_paper": dataset in ("mnist", "fashion-mnist") and not args.quick}
    return methods, config


def run(args, argv):
    methods, config = build(args)
    if args.methods is None and not args.plot_only:
        raise SystemExit("study: name the readings to train with --methods (e.g. --methods B-tau1,B-sgd-lr0.1); "
                         f"the readings: {', '.join(READINGS)}")
    unknown = [k for k in args.methods or [] if k not in READINGS]
    if unknown:
        raise SystemExit(f"--methods: {', '.join(unknown)} not among the methods (readings) of study: "
                         f"{', '.join(READINGS)}")
    ctx = context("study", args, argv, config["dataset"])
    trained = [m for m in methods if m.network is not None]
    note = f"screening: {args.epochs} epochs" if args.epochs and not args.quick else None
    return run_experiment(ctx, config=config, methods=trained, plot=_plot, reduced_note=note)


def _plot(ctx, meta):
    import matplotlib.pyplot as plt
    recs = meta["methods"]
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = method_colours(list(recs))
    for k, r in recs.items():
        h = r.get("history", {})
        if "train_accuracy" not in h:
            continue
        ax[0].plot(h["epoch"], np.array(h["train_accuracy"]) * 100, "-", color=colours[k], label=k)
        ax[1].plot(h["epoch"], np.array(h["val_accuracy"]) * 100, "-", color=colours[k], label=k)
    for a, t in zip(ax, ("train accuracy (%)", "test accuracy (%)")):
        a.set_xlabel("epoch"); a.set_ylabel(t); a.legend(fontsize=6, ncol=2)
    fig.suptitle(f"Reading study, {meta['configuration']['dataset_label']}", fontsize=9)
    fig.tight_layout(); fig.savefig(ctx.out / "study_curves.png", dpi=90); plt.close(fig)
