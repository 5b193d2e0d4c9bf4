#!/usr/bin/env python3
"""PyTorch side of `npm run bench -- training`: the same architectures as optilab's zoo, batch 64, Adam,
cross-entropy over shuffled batches, timed on the CPU with a fixed thread count. Prints one JSON object per model."""
import json
import sys
import time

import torch
import torch.nn as nn


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mnist_cnn():
    # 'same' 3x3 convs; 2x2 pools with ceil_mode reproduce TF's 'same' pooling: 28 -> 14 -> 7 -> 4.
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                         nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                         nn.Flatten(), nn.Linear(2048, 625), nn.ReLU(), nn.Linear(625, 10))


def cnn_small():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))


MODELS = {"lenet5": lenet5, "mnistCnn": mnist_cnn, "cnnSmall": cnn_small}


def measure(name, threads, seconds):
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = MODELS[name]()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    # As optilab's side: shuffled batches drawn from a pool of 400 batches (not one fixed batch), reshuffled each pass.
    pool_x = torch.rand(64 * 400, 1, 28, 28)
    pool_y = torch.randint(0, 10, (64 * 400,))
    order = torch.randperm(pool_x.shape[0])
    cursor = 0

    def step():
        nonlocal order, cursor
        if cursor + 64 > order.shape[0]:
            order, cursor = torch.randperm(pool_x.shape[0]), 0
        idx = order[cursor:cursor + 64]
        cursor += 64
        opt.zero_grad()
        loss_fn(model(pool_x[idx]), pool_y[idx]).backward()
        opt.step()

    for _ in range(5):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    train = steps * 64 / (time.perf_counter() - start)
    model.eval()
    xb = torch.rand(256, 1, 28, 28)
    with torch.no_grad():
        model(xb)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            model(xb)
            n += 1
    infer = n * 256 / (time.perf_counter() - start)
    return {"model": name, "params": params, "threads": threads, "torch": torch.__version__, "trainImgPerSec": train, "inferImgPerSec": infer}


if __name__ == "__main__":
    threads = int(sys.argv[1])
    seconds = float(sys.argv[2])
    for name in sys.argv[3:]:
        print(json.dumps(measure(name, threads, seconds)), flush=True)
