"""The report's section of the convolutional run (``validation/conv.py``, issue 15), read from its metrics.json."""
from __future__ import annotations

import json
from pathlib import Path

HEAD = ["## A convolutional network by Algorithm 1 (issue 15; not in the paper)", ""]


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def screen_lines(screen: dict | None) -> list:
    """The table of ``validation/conv_screen.py`` (what was tried to choose the lifted setting), if committed."""
    if not screen:
        return []
    L = [f"What was tried for the lifted CNN (`{screen['command']}`: LBN-S on the first {screen['n_train']} "
         f"training images, accuracy on {screen['n_test']} test images, one process, one core):", "",
         "| batch | N | proximal weight | epochs | train acc. | test acc. | seconds |", "|---|---|---|---|---|---|---|"]
    for r in screen["rows"]:
        L.append(f"| {r['batch_size']} | {r['n_inner']} | {r['prox_weight']:g} | {r['epochs']} | "
                 f"{_pct(r['train_accuracy'])} | {_pct(r['test_accuracy'])} | {r['seconds']:.0f} |")
    return L + [""]


def conv_section(meta, where: str = "results/conv/fashion-mnist", screen: dict | None = None) -> list:
    """Accuracy, epochs and training time of each method, and whether the target of issue 15 is met."""
    if meta is None:
        return HEAD + ["Not yet run (`python validation/run.py conv --update-results`).", ""]
    from .conv import TARGET_ACCURACY, TARGET_GAP, target_met
    from .make_report import seconds_per_epoch
    cfg, recs = meta.get("configuration", {}), meta.get("methods", {})
    L = HEAD + [f"`{cfg.get('layer_spec')}` on {cfg.get('dataset_label')} ({cfg.get('n_train')} / {cfg.get('n_test')} "
                f"images, input {'x'.join(map(str, cfg.get('input_shape', [])))}), ReLU hidden layers, identity "
                f"output, MSE on one-hot targets; one Glorot draw shared by every method"
                + (" (QUICK smoke run, not comparable)" if meta.get("quick") else "") + ".", "",
                "| method | status | epochs | train acc. | test acc. | training time | s/epoch | options |",
                "|---|---|---|---|---|---|---|---|"]
    for k, r in recs.items():
        f, h = r.get("final", {}), r.get("history", {})
        secs = sum(h.get("wall_time", [])) + r.get("unrecorded_wall_time", 0.0)
        spe = seconds_per_epoch(h)
        st = {"running": "partial"}.get(r.get("status", "?"), r.get("status", "?"))
        opts = ", ".join(f"{a}={b}" for a, b in r.get("config", {}).get("options", {}).items())
        L.append(f"| {k} | {st} | {r.get('epochs_done', 0)}/{r.get('config', {}).get('epochs')} | "
                 f"{_pct(f.get('train_accuracy'))} | {_pct(f.get('val_accuracy'))} | {secs:.0f} s | "
                 f"{'-' if spe is None else f'{spe:.0f}'} | {opts} |")
    t = target_met(recs)
    L += ["", f"Target: the lifted CNN above {TARGET_ACCURACY}% test accuracy and within {TARGET_GAP:g} points of the "
              f"best back-propagation run: best lifted ({t.get('lbn_method', 'lbn')}) {t['lbn_test_accuracy']:.1f}% vs {t['best_backprop_test_accuracy']:.1f}%"
              f" -> **{'met' if t['met'] else 'not met'}**" + (" (runs still partial)" if any(
                  r.get("status") != "complete" for r in recs.values()) else "") + ".",
          "Training time is the engine's (evaluation excluded), on the shared 2-core machine, one BLAS thread.", "",
          *screen_lines(screen),
          f"- Plot: `{where}/conv_curves.png`.", f"- Commands: `{where}/COMMAND`", ""]
    return L


def conv_sections(results: Path) -> list:
    p = Path(results) / "conv" / "fashion-mnist" / "metrics.json"
    sp = p.with_name("screen.json")
    return conv_section(json.loads(p.read_text()) if p.exists() else None,
                        screen=json.loads(sp.read_text()) if sp.exists() else None)
