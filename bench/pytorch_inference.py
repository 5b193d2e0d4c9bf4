#!/usr/bin/env python3
"""PyTorch side of `npm run bench -- inference`: forward passes of the zoo architectures (from
pytorch_training.py) in eval mode under no_grad, at each batch size, with a fixed thread count.
Usage: pytorch_inference.py THREADS SECONDS BATCH[,BATCH...] MODEL... ; prints one JSON object per model and batch."""
import json
import sys
import time

import torch

from pytorch_training import MODELS


def measure(name, threads, seconds, batch):
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = MODELS[name]().eval()
    x = torch.rand(batch, 1, 28, 28)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            model(x)
            n += 1
        elapsed = time.perf_counter() - start
    return {"model": name, "batch": batch, "threads": threads, "torch": torch.__version__, "imgPerSec": n * batch / elapsed}


if __name__ == "__main__":
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    batches = [int(b) for b in sys.argv[3].split(",")]
    for name in sys.argv[4:]:
        for batch in batches:
            print(json.dumps(measure(name, threads, seconds, batch)), flush=True)
