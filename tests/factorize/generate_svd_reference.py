#!/usr/bin/python3
"""Singular values from numpy (LAPACK) for the TypeScript SVD cross-check.

Run with Debian's interpreter: /usr/bin/python3 tests/factorize/generate_svd_reference.py
Writes tests/factorize/svd_reference.json (committed; the tests do not need numpy).
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261122)
cases = []
for name, m, n in [("square", 6, 6), ("tall", 40, 12), ("wide", 9, 31), ("dense-like", 120, 84)]:
    a = rng.standard_normal((m, n))
    cases.append({"name": name, "m": m, "n": n, "matrix": a.ravel().tolist(), "s": np.linalg.svd(a, compute_uv=False).tolist()})
# Rank-deficient: a 30 x 20 matrix of rank 5 (15 zero singular values) and strongly decaying spectrum.
b = rng.standard_normal((30, 5)) @ rng.standard_normal((5, 20))
cases.append({"name": "rank5", "m": 30, "n": 20, "matrix": b.ravel().tolist(), "s": np.linalg.svd(b, compute_uv=False).tolist()})
u, _ = np.linalg.qr(rng.standard_normal((25, 25)))
v, _ = np.linalg.qr(rng.standard_normal((15, 15)))
s = np.logspace(0, -6, 15)
c = u[:, :15] @ np.diag(s) @ v.T
cases.append({"name": "decaying", "m": 25, "n": 15, "matrix": c.ravel().tolist(), "s": np.linalg.svd(c, compute_uv=False).tolist()})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svd_reference.json")
with open(out, "w") as f:
    json.dump({"generator": "tests/factorize/generate_svd_reference.py", "numpy": np.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {out}")
