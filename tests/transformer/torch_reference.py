"""An independent tinyGpt in PyTorch, for tests/transformer/torch.test.ts.

Reads a JSON file {config, weights: {name: [values]}, tokens: [[ids]]}, builds the model from torch.nn modules
(nn.Embedding, nn.LayerNorm, nn.MultiheadAttention with a causal mask, nn.Linear, nn.GELU / nn.ReLU) with those
weights, and prints JSON {logits: [[[...]]], loss: mean cross-entropy of tokens[:, 1:] given tokens[:, :-1]}.
Usage: python3 torch_reference.py weights.json
"""
import json
import sys

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d, heads, hidden, act):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, hidden)
        self.act = nn.GELU() if act == "gelu" else nn.ReLU()
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x, mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dModel"]
        self.tok = nn.Embedding(c["vocabSize"], d)
        self.pos = nn.Embedding(c["contextLength"], d)
        self.blocks = nn.ModuleList(
            [Block(d, c["nHeads"], c["mlpRatio"] * d, c["activation"]) for _ in range(c["nLayers"])]
        )
        self.lnf = nn.LayerNorm(d, eps=1e-5)
        self.head = nn.Linear(d, c["vocabSize"])

    def forward(self, ids):
        t = ids.shape[1]
        # True above the diagonal: a query may not attend to a later key
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        x = self.tok(ids) + self.pos(torch.arange(t))[None]
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.lnf(x))


def load(model, c, w):
    def put(param, name):
        values = torch.tensor(w[name], dtype=torch.float32).reshape(param.shape)
        with torch.no_grad():
            param.copy_(values)

    put(model.tok.weight, "embed.token")
    put(model.pos.weight, "embed.position")
    for i, b in enumerate(model.blocks):
        p = f"block{i}"
        put(b.ln1.weight, f"{p}.ln1.gamma")
        put(b.ln1.bias, f"{p}.ln1.beta")
        put(b.attn.in_proj_weight, f"{p}.attn.qkv")
        put(b.attn.in_proj_bias, f"{p}.attn.qkv.bias")
        put(b.attn.out_proj.weight, f"{p}.attn.proj")
        put(b.attn.out_proj.bias, f"{p}.attn.proj.bias")
        put(b.ln2.weight, f"{p}.ln2.gamma")
        put(b.ln2.bias, f"{p}.ln2.beta")
        put(b.fc1.weight, f"{p}.mlp.fc1")
        put(b.fc1.bias, f"{p}.mlp.fc1.bias")
        put(b.fc2.weight, f"{p}.mlp.fc2")
        put(b.fc2.bias, f"{p}.mlp.fc2.bias")
    put(model.lnf.weight, "lnf.gamma")
    put(model.lnf.bias, "lnf.beta")
    put(model.head.weight, "head")
    put(model.head.bias, "head.bias")


def main():
    spec = json.load(open(sys.argv[1]))
    c = spec["config"]
    model = Gpt(c)
    load(model, c, spec["weights"])
    model.eval()
    ids = torch.tensor(spec["tokens"], dtype=torch.long)
    with torch.no_grad():
        logits = model(ids)
        v = c["vocabSize"]
        loss = nn.functional.cross_entropy(model(ids[:, :-1]).reshape(-1, v), ids[:, 1:].reshape(-1))
    json.dump({"logits": logits.tolist(), "loss": loss.item(), "torch": torch.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
