r"""Write the activation pages of the docs from the registry (Section 3: Definition 1, Example 1/2, Figures 1/2).

For every family (the ``family`` attribute of the activation classes) one page
``docs/activations/<family>.md`` lists each registered activation of that family with its
parameters (defaults, the validity range from the docstring and the constructor's own validation
message), the formulas of :math:`\Psi`, :math:`\sigma`, :math:`\Phi^*`, :math:`\Psi^*` and
:math:`B_\Psi` rendered from the docstrings (the class, its module, and Example 2's closed form in
:mod:`bregnet.bregman` where there is one: nothing is written twice by hand), the doctest examples,
and a plot ``docs/img/<name>.png``:

* :math:`\sigma(z)` on :math:`[-4, 4]` (vector activations: the components of :math:`\sigma(z)` for
  :math:`n = 2` over :math:`z\in[-4,4]^2`, as in the paper's Figure 1);
* :math:`\Psi(x)` (shaded where :math:`\Psi = +\infty`);
* :math:`B_\Psi(x, z)` next to :math:`\tfrac12\|x - \sigma(z)\|^2` for :math:`z\in[-2, 2]` and the
  fixed :math:`x = 0.5` (:math:`x = (0.5, 0.5)` and :math:`z = (t, 0)` for :math:`n = 2`), as in
  the paper's Figure 2.

Also ``docs/index.md``, linking the notation, the errata and the family pages.

Usage::

    python docs/make_activation_docs.py               # pages and plots into docs/
    python docs/make_activation_docs.py --no-plots    # pages only (fast)
    python docs/make_activation_docs.py --out DIR     # somewhere else
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import math
import re
import sys
from pathlib import Path

import numpy as np

from bregnet import bregman as bregman_module
from bregnet.activations import get, names

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent

#: page titles of the known families (others get their name, capitalised)
FAMILY_TITLES = {
    "piecewise-linear": "Piecewise-linear activations",
    "rectifier": "Rectifiers with a smooth negative part",
    "piecewise-smooth": "Piecewise-smooth activations",
    "thresholding": "Thresholding activations",
    "clipping": "Clipping activations",
    "sigmoid": "Sigmoid-shaped activations",
    "softplus": "Softplus",
    "simplex": "Activations onto the probability simplex",
    "radial": "Radial (vector) activations",
}

#: probe values for the parameter validation (messages of rejected values are shown)
PROBES = (-1e9, -1.0, 0.0, 0.25, 1.5, 1e9)
#: numpydoc section headers
SECTIONS = ("Parameters", "Returns", "Raises", "Examples", "Notes", "References", "See Also", "Attributes")


# ----------------------------------------------------------------------------- reST -> Markdown
def _inline(text: str) -> str:
    """Inline reST roles to Markdown: math to ``$...$``, cross-references and literals to code."""
    text = re.sub(r":math:`([^`]*)`", lambda m: "$" + " ".join(m.group(1).split("\n")).strip() + "$", text)
    text = re.sub(r":(?:func|class|mod|meth|data|attr|obj):`~?([^`]*)`",
                  lambda m: "`" + (m.group(1).split(".")[-1] if m.group(0).count("~") else m.group(1)) + "`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return text


def _math_block(lines: list[str]) -> list[str]:
    """A ``.. math::`` body as ``$$`` blocks (one per blank-line-separated equation)."""
    out = []
    groups, cur = [], []
    for ln in lines:
        if ln.strip():
            cur.append(ln.strip())
        elif cur:
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    for g in groups:
        body = "\n".join(g)
        if ("&" in body or "\\\\" in body) and "\\begin" not in body:
            body = "\\begin{aligned}\n" + body + "\n\\end{aligned}"
        out += ["", "$$", body, "$$", ""]
    return out


def rst_to_markdown(text: str) -> str:
    """Convert a (dedented) numpydoc/reST docstring fragment to Markdown with ``$`` math."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(".. math::"):
            indent = len(line) - len(stripped)
            body = [stripped[len(".. math::"):]]
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                body.append(lines[i])
                i += 1
            out += _math_block(body)
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            # literal block
            out.append(line.strip()[:-1])
            i += 1
            block = []
            indent = len(line) - len(stripped)
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i])
                i += 1
            out += ["", "```"] + [b.strip() for b in block if b.strip()] + ["```", ""]
            continue
        if stripped.startswith("* "):
            out.append("- " + stripped[2:])
        else:
            out.append(stripped)
        i += 1
    md = _inline("\n".join(out))   # roles may span lines
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md.strip()


def split_docstring(doc: str) -> tuple[str, str, dict]:
    """``(summary, body, sections)`` of a numpydoc docstring (sections by header name, dedented)."""
    doc = inspect.cleandoc(doc or "")
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {}
    current = None
    body: list[str] = []
    i = 0
    while i < len(lines):
        if (lines[i].strip() in SECTIONS and i + 1 < len(lines)
                and set(lines[i + 1].strip()) == {"-"}):
            current = lines[i].strip()
            sections[current] = []
            i += 2
            continue
        (sections[current] if current else body).append(lines[i])
        i += 1
    summary_lines = []
    while body and body[0].strip():
        summary_lines.append(body.pop(0))
    return " ".join(s.strip() for s in summary_lines), "\n".join(body).strip(), \
        {k: "\n".join(v).strip() for k, v in sections.items()}


def parse_parameters(text: str) -> list[tuple[str, str, str]]:
    """numpydoc ``Parameters`` entries as ``(names, type/default, description)``."""
    entries = []
    for line in text.splitlines():
        if line and not line.startswith((" ", "\t")):
            head, _, kind = line.partition(":")
            entries.append([head.strip(), kind.strip(), []])
        elif entries:
            entries[-1][2].append(line.strip())
    return [(n, k, " ".join(d).strip()) for n, k, d in entries]


def validation_messages(cls, field: str) -> list[str]:
    """What the constructor says when ``field`` gets an invalid value (probing a few values)."""
    msgs = []
    for v in PROBES:
        try:
            cls(**{field: v})
        except (ValueError, TypeError) as exc:
            m = str(exc).split("; got")[0].strip()
            if m not in msgs:
                msgs.append(m)
    return msgs


# ----------------------------------------------------------------------------- pages
def family_of(name: str) -> str:
    return getattr(type(get(name)), "family", "") or "other"


def families() -> dict[str, list[str]]:
    fam: dict[str, list[str]] = {}
    for name in names():
        fam.setdefault(family_of(name), []).append(name)
    return dict(sorted(fam.items()))


def title_of(family: str) -> str:
    return FAMILY_TITLES.get(family, family.replace("-", " ").capitalize())


def _module_path(obj) -> str:
    return Path(inspect.getsourcefile(obj)).resolve().relative_to(REPO).as_posix()


def _bregman_definition() -> str:
    """The definition (12) as written in the module docstring of :mod:`bregnet.bregman`."""
    _, body, _ = split_docstring(bregman_module.__doc__)
    md = rst_to_markdown(body)
    m = re.search(r"\$\$.*?\$\$", md, flags=re.S)
    return m.group(0) if m else ""


def activation_section(name: str, img_dir_rel: str | None) -> str:
    act = get(name)
    cls = type(act)
    summary, body, sections = split_docstring(cls.__doc__)
    out = [f"## `{name}`", ""]
    facts = [f"`bregnet.activations.get(\"{name}\")`", f"class `{cls.__name__}` in `{_module_path(cls)}`",
             "separable" if act.separable else "non-separable (acts on the whole last axis)",
             "closed-form $\\Psi^*$: " + ("yes (`psi_conjugate`)" if act.has_psi_conjugate else "no")]
    out += [" · ".join(facts), "", "**σ:** " + rst_to_markdown(summary), ""]
    if act.formula:
        out += [f"**Ψ (plain text):** `{act.formula}`", ""]
    if body:
        out += [rst_to_markdown(body), ""]
    # parameters
    fields = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
    out += ["**Parameters.**", ""]
    if not fields:
        out += ["None.", ""]
    else:
        described = {}
        for names_, kind, desc in parse_parameters(sections.get("Parameters", "")):
            for n in (s.strip() for s in names_.split(",")):
                described[n] = (kind, desc)
        defaults = act.params()
        for f in fields:
            kind, desc = described.get(f, ("", ""))
            line = f"- `{f}` = `{defaults[f]!r}`"
            if kind:
                line += f" ({_inline(kind)})"
            if desc:
                line += ": " + rst_to_markdown(desc)
            msgs = validation_messages(cls, f)
            if msgs:
                line += " Validation: " + "; ".join(f"`{m}`" for m in msgs) + "."
            out.append(line)
        out.append("")
    # Bregman loss
    out += [f"**Bregman loss:** eq. (12) (top of this page) with this $\\Psi$ and $\\Phi^*$: "
            f"`bregnet.bregman_loss(get(\"{name}\"), x, z)`, gradient `bregnet.bregman_grad` "
            "$= \\sigma(z) - x$ (Lemma 8).", ""]
    closed = getattr(bregman_module, f"{name}_bregman_loss", None)
    if closed is not None:
        csum, cbody, _ = split_docstring(closed.__doc__)
        out += [f"Closed form (Example 2), `bregnet.bregman.{closed.__name__}`: " + rst_to_markdown(csum), ""]
        if cbody:
            out += [rst_to_markdown(cbody), ""]
    if img_dir_rel is not None:
        out += [f"![{name}: sigma, Psi and the Bregman loss]({img_dir_rel}/{name}.png)", ""]
    if "Examples" in sections:
        out += ["**Examples** (run as doctests by the test suite):", "", "```pycon", sections["Examples"], "```", ""]
    return "\n".join(out)


def family_page(family: str, members: list[str], img_dir_rel: str | None) -> str:
    modules = []
    for name in members:
        mod = sys.modules[type(get(name)).__module__]
        if mod not in modules:
            modules.append(mod)
    out = [f"# {title_of(family)}", "",
           "<!-- generated by docs/make_activation_docs.py from the activation registry; do not edit -->", "",
           "Activations: " + ", ".join(f"[`{n}`](#{n.replace('_', '_')})" for n in members) + ".", "",
           "Notation: [notation](../notation.md); corrections to the printed paper: [errata](../errata.md). "
           "Each plot shows σ(z), Ψ(x) (grey where Ψ = +∞) and the Bregman loss B_Ψ(x, z) next to "
           "½‖x − σ(z)‖² for a fixed x, as in Figures 1 and 2 of the paper.", "",
           "**Bregman loss** of every activation below (eq. (12); `bregnet.bregman_loss` evaluates the "
           "equivalent form of Theorem 10, item 4, accurate for large $|z|$):", "", _bregman_definition(), ""]
    for mod in modules:
        summary, body, _ = split_docstring(mod.__doc__)
        out += [f"### Background (`{_module_path(mod)}`)", "", rst_to_markdown(summary), ""]
        if body:
            out += [rst_to_markdown(body), ""]
    for name in members:
        out += ["---", "", activation_section(name, img_dir_rel)]
    return "\n".join(out).rstrip() + "\n"


def index_page(fams: dict[str, list[str]]) -> str:
    out = ["# bregnet documentation", "",
           "<!-- generated by docs/make_activation_docs.py; do not edit -->", "",
           "bregnet implements *Lifted Bregman Training of Neural Networks* (Wang & Benning, JMLR 2023).", "",
           "- [Notation](notation.md): the paper's symbols and bregnet's names.",
           "- [Errata](errata.md): statements of the printed paper that are false, with corrections and "
           "numeric counterexamples.",
           f"- Activations ({sum(len(v) for v in fams.values())} registered, `bregnet.activations.names()`), "
           "one page per family:", ""]
    for fam, members in fams.items():
        out.append(f"  - [{title_of(fam)}](activations/{fam}.md): " + ", ".join(f"`{m}`" for m in members))
    out += ["",
            "Cross-checking another implementation (PyTorch, JAX, ...): `bregnet.testing` has the laws of "
            "Section 3 as functions of plain callables, Hypothesis strategies, and packaged reference values "
            "(`bregnet.testing.compare_to_reference`, written by `scripts/make_reference_values.py`); a 50-digit "
            "reference set ([reference-set.md](reference-set.md)); a worked example with `bregnet.torch`, "
            "`bregnet.jax` and the `entmax` package: [cross-checking.md](cross-checking.md).  The architecture of "
            "the package: [architecture.md](architecture.md); the paper's equations and the functions that "
            "implement them: [equations.md](equations.md); training on a cluster: [distributed.md](distributed.md).", "",
            "These pages are generated: `python docs/make_activation_docs.py`.", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------- plots
def _domain_x(act):
    """A fixed x for Figure 2: 0.5 (or (0.5, 0.5)) if it is in dom Psi, else sigma of it."""
    n = 1 if act.separable else 2
    x = np.full((1, n), 0.5)
    return x if np.isfinite(act.psi(x))[0] else act.prox(x)


def _shade_infinite(ax, t, finite):
    """Grey spans where Psi = +inf along the grid ``t``."""
    inf = ~finite
    if not inf.any():
        return
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inf.astype(int), [0]])))
    for a, b in zip(edges[::2], edges[1::2]):
        ax.axvspan(t[a], t[b - 1], color="0.88", lw=0)


def _plot_psi(ax, t, psi, xlabel):
    finite = np.isfinite(psi)
    _shade_infinite(ax, t, finite)
    ax.plot(np.where(finite, t, np.nan), np.where(finite, psi, np.nan), color="C2")
    # isolated finite points (a closed domain of one point, or the boundary of a closed domain)
    if finite.any():
        vals = psi[finite]
        top = float(np.max(vals))
        lo = float(np.min(vals))
        cap = 3.0
        if top > cap + max(lo, 0):
            ax.set_ylim(min(lo, 0) - 0.1, cap + max(lo, 0))
            ax.set_title(r"$\Psi(x)$ (clipped)", fontsize=10)
        else:
            ax.set_title(r"$\Psi(x)$", fontsize=10)
        pad = 0.1 * max(top - lo, 0.5)
        if top <= cap + max(lo, 0):
            ax.set_ylim(lo - pad, top + pad)
    ax.set_xlabel(xlabel)
    ax.text(0.02, 0.95, r"grey: $\Psi=+\infty$" if not finite.all() else "", transform=ax.transAxes,
            fontsize=8, va="top", color="0.4")


def plot_activation(name: str, path: Path) -> None:
    """Write the PNG of one activation (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bregnet import bregman_loss

    act = get(name)
    x0 = _domain_x(act)
    if act.separable:
        fig, axes = plt.subplots(1, 3, figsize=(10.5, 2.9), dpi=80)
        z = np.linspace(-4, 4, 801)[:, None]
        ax = axes[0]
        ax.plot(z[:, 0], z[:, 0], color="0.8", lw=0.8, ls="--", label="identity")
        ax.plot(z[:, 0], act.prox(z)[:, 0], color="C0", label=r"$\sigma(z)$")
        ax.set_title(r"$\sigma(z)$", fontsize=10)
        ax.set_xlabel("z")
        ax.legend(fontsize=8, loc="upper left")
        t = np.linspace(-2.5, 2.5, 2001)
        ends = act.prox(np.array([[-1e8], [1e8]]))[:, 0]
        t = np.unique(np.concatenate([t, ends[np.abs(ends) <= 2.5]]))
        _plot_psi(axes[1], t, act.psi(t[:, None]), "x")
        zb = np.linspace(-2, 2, 401)[:, None]
        xb = np.broadcast_to(x0, zb.shape)
        xlabel = "z"
        fixed = f"x = {float(x0[0, 0]):.3g}"
    else:
        fig, axes = plt.subplots(1, 4, figsize=(13.0, 2.9), dpi=80)
        g = np.linspace(-4, 4, 121)
        Z1, Z2 = np.meshgrid(g, g)
        S = act.prox(np.stack([Z1, Z2], axis=-1))
        for k in range(2):
            ax = axes[k]
            im = ax.contourf(Z1, Z2, S[..., k], levels=15, cmap="viridis")
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            ax.set_title(rf"$\sigma(z)_{k + 1}$, $n = 2$", fontsize=10)
            ax.set_xlabel(r"$z_1$")
            ax.set_ylabel(r"$z_2$", labelpad=-2)
            ax.set_aspect("equal")
        on_simplex_line = (np.isfinite(act.psi(np.array([[0.5, 0.5]])))[0]
                           and not np.isfinite(act.psi(np.array([[0.5, 0.6]])))[0])
        t = np.linspace(-0.5, 1.5, 2001) if on_simplex_line else np.linspace(-2.5, 2.5, 2001)
        t = np.unique(np.concatenate([t, [0.0, 1.0, -1.0]]))
        pts = np.stack([t, 1 - t], axis=-1) if on_simplex_line else np.stack([t, np.zeros_like(t)], axis=-1)
        _plot_psi(axes[2], t, act.psi(pts), "x = (p, 1 - p), p" if on_simplex_line else "x = (r, 0), r")
        zb = np.stack([np.linspace(-2, 2, 401), np.zeros(401)], axis=-1)
        xb = np.broadcast_to(x0, zb.shape)
        xlabel = "z = (t, 0), t"
        fixed = "x = (" + ", ".join(f"{v:.3g}" for v in x0[0]) + ")"
    ax = axes[-1]
    B = bregman_loss(act, xb, zb)
    mse = 0.5 * np.sum((xb - act.prox(zb)) ** 2, axis=-1)
    tt = zb[:, 0]
    ax.plot(tt, B, color="C3", label=r"$B_\Psi(x, z)$")
    ax.plot(tt, mse, color="C0", ls="--", label=r"$\frac{1}{2}\|x - \sigma(z)\|^2$")
    ax.set_title(f"Bregman loss, {fixed}", fontsize=10)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8)
    fig.suptitle(name, fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ----------------------------------------------------------------------------- main
def generate(out: Path, plots: bool = True) -> list[Path]:
    """Write the family pages, the index and (optionally) the plots under ``out``; return the written files."""
    fams = families()
    written = []
    pages = out / "activations"
    pages.mkdir(parents=True, exist_ok=True)
    img_rel = "../img" if plots else None
    for fam, members in fams.items():
        p = pages / f"{fam}.md"
        p.write_text(family_page(fam, members, img_rel), encoding="utf-8")
        written.append(p)
        if plots:
            for name in members:
                png = out / "img" / f"{name}.png"
                plot_activation(name, png)
                written.append(png)
    idx = out / "index.md"
    idx.write_text(index_page(fams), encoding="utf-8")
    written.append(idx)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help=f"output directory (default {DOCS})")
    parser.add_argument("--no-plots", action="store_true", help="write the pages only, without PNGs")
    args = parser.parse_args(argv)
    written = generate(args.out, plots=not args.no_plots)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
