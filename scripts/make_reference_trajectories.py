"""Write bregnet/testing/data/reference_trajectories_v<N>.json (the reference trajectories of bregnet.testing).

Usage: python scripts/make_reference_trajectories.py [--check]

With --check, regenerate in memory and compare with the committed file instead of writing it
(exit status 1 on a difference).  Bump REFERENCE_VERSION in bregnet/testing/reference_trajectories.py
when a change of the solvers changes the trajectories on purpose; never overwrite a released version.
"""
from __future__ import annotations

import json
import os
import sys

from bregnet.testing.reference_trajectories import (compare_trajectory, generate_reference_trajectories,
                                                    reference_path)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    data = generate_reference_trajectories()
    path = reference_path(data["version"])
    if "--check" in argv:
        for name, t in data["trajectories"].items():
            r = compare_trajectory(name, t["iterates"], rtol=1e-12, atol=1e-14)
            print(r)
            if not r.ok:
                return 1
        return 0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
