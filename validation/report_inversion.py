"""The report's section of the inversion experiments (``validation/inversion.py``, issue 16), from its metrics.json."""
from __future__ import annotations

import json
from pathlib import Path

HEAD = ["## Inversion of trained networks (issue 16; Wang & Benning, Front. Appl. Math. Stat. 9, 2023)", ""]
LABELS = {"lifted": "lifted Bregman", "backprop": "back-propagation"}


def inversion_section(meta, where: str = "results/inversion") -> list:
    """Tables of (a) error against noise, (b) PSNR / relative error / wall time, (c) decoder inversion."""
    if meta is None:
        return HEAD + ["Not yet run (`python validation/run.py inversion --update-results`).", ""]
    quick = " (QUICK smoke run, not comparable)" if meta.get("quick") else ""
    a, b, c = meta["shallow1d"], meta["perceptron"], meta["decoder"]
    L = HEAD + [f"Both methods from the same initial guess, each one engine run (checkpointed); lifted: "
                f"`LiftedInversion` (proximal block descent, FISTA with restart); baseline: `BackpropInversion` "
                f"(proximal gradient on 1/2|N(u) - f|^2 + alpha J(u) by back-propagation){quick}.  Wall time is the "
                f"engine's (diagnostics included), on the shared 2-core machine.", "",
                f"**(a) 1-D shallow network**: n = {a['n']} samples through {a['units']} ReLU units each (unit "
                f"weights, b_j = -(j-1) 3/50), isotropic TV, alpha = {a['alpha']:g}, {a['epochs']} sweeps; noisy "
                f"outputs projected onto f >= 0.  Relative error |u - u_true| / |u_true| (on the samples with "
                f"u_true > 0, where the outputs determine u, in brackets):", "",
                "| noise delta | " + " | ".join(LABELS[m] for m in ("lifted", "backprop")) + " |", "|---|---|---|"]
    for d in a["noise_levels"]:
        cells = []
        for m in ("lifted", "backprop"):
            r = a["runs"][f"{m}@{d:g}"]
            cells.append(f"{r['rel_error']:.4f} ({r['rel_error_identifiable']:.4f})")
        L.append(f"| {d:g} | " + " | ".join(cells) + " |")
    L += ["", f"**(b) ReLU perceptron** {b['images']} -> {b['units']} units ({b['weights']}), isotropic TV, "
              f"alpha = {b['alpha']:g}, {b['epochs']} sweeps from a constant 0.5 image:", "",
          "| outputs | method | PSNR (mean, dB) | relative error | output misfit | wall time |", "|---|---|---|---|---|---|"]
    for noise in (0.0, 0.05):
        for m in ("lifted", "backprop"):
            r = b["runs"][f"{m}@{noise:g}"]
            lab = "noiseless" if noise == 0 else f"noise {100 * noise:g}% of RMS"
            L.append(f"| {lab} | {LABELS[m]} | {r['psnr_mean']:.2f} | {r['rel_error']:.4f} | "
                     f"{r['output_misfit']:.3g} | {r['wall_time_s']:.1f} s |")
    ae = c["autoencoder"]
    rel = ae.get("fig3_record_rel_diff")
    check = ("" if rel is None else
             f" (final training objective {ae['final_train_objective']:.6g}; fig3's committed record "
             f"{ae['fig3_record_train_objective']:.6g}, relative difference {rel:.1e})")
    L += ["", f"**(c) decoder inversion**: the sparse autoencoder of fig3, "
              f"{'-'.join(map(str, ae['layer_sizes']))}, trained by fig3's LBN-S method for {ae['epochs']} epochs on "
              f"{ae['n_train']} images of {ae['label'].split(':')[0]}{check}; decoder (ReLU, identity) inverted at the "
              f"decoded codes of validation images (code sparsity {100 * c['code_sparsity']:.0f}%), l1, "
              f"alpha = {c['alpha']:g}, {c['epochs']} sweeps from zero codes:", "",
          "| method | code rel. error | decoded PSNR (dB) | output rel. error | zero codes | wall time |",
          "|---|---|---|---|---|---|"]
    for m in ("lifted", "backprop"):
        r = c["runs"][m]
        L.append(f"| {LABELS[m]} | {r['code_rel_error']:.4f} | {r['output_psnr_mean']:.2f} | "
                 f"{r['output_rel_error']:.4f} | {100 * r['code_sparsity']:.0f}% | {r['wall_time_s']:.1f} s |")
    L += ["", f"- Plots: `{where}/inversion_shallow1d.png`, `{where}/inversion_perceptron.png`, "
              f"`{where}/inversion_decoder.png`.", f"- Commands: `{where}/COMMAND`", ""]
    return L


def inversion_sections(results: Path) -> list:
    p = Path(results) / "inversion" / "metrics.json"
    return inversion_section(json.loads(p.read_text()) if p.exists() else None)
