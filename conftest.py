"""Collection settings for the whole tree: the optional framework adapters are not collected without their framework.

``bregnet/torch.py`` and ``bregnet/jax.py`` raise ImportError (naming the extra to install) when
PyTorch or JAX is missing; ``--doctest-modules`` would report that as a collection error.  Their
tests (tests/adapters/) skip by ``pytest.importorskip``.
"""
import importlib.util

collect_ignore = [f"bregnet/{name}.py" for name in ("torch", "jax") if importlib.util.find_spec(name) is None]
