#!/usr/bin/python3
"""Reference values for softTargetLoss / distillationLoss from PyTorch (Debian python3-torch).

Run with Debian's interpreter: /usr/bin/python3 tests/distill/generate_kd_reference.py
Writes tests/distill/kd_reference.json (committed; the tests do not need torch).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261122)
cases = []
for batch, classes, temperature, alpha, scale in [
    (1, 3, 1.0, 0.5, 1.0),
    (4, 10, 2.0, 0.9, 3.0),
    (8, 10, 4.0, 0.7, 5.0),
    (16, 10, 10.0, 0.1, 8.0),
    (5, 7, 0.5, 1.0, 2.0),
    (3, 10, 20.0, 0.0, 10.0),
]:
    s = torch.randn(batch, classes, dtype=torch.float64) * scale
    t = torch.randn(batch, classes, dtype=torch.float64) * scale
    labels = torch.randint(0, classes, (batch,))
    soft = F.kl_div(F.log_softmax(s / temperature, dim=1), F.softmax(t / temperature, dim=1), reduction="batchmean") * temperature**2
    hard = F.cross_entropy(s, labels)
    cases.append({
        "student": s.tolist(),
        "teacher": t.tolist(),
        "labels": labels.tolist(),
        "temperature": temperature,
        "alpha": alpha,
        "soft": soft.item(),
        "mixed": (alpha * soft + (1 - alpha) * hard).item(),
    })

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kd_reference.json")
with open(out, "w") as f:
    json.dump({"generator": "tests/distill/generate_kd_reference.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
print(f"wrote {len(cases)} cases to {out}")
