#!/usr/bin/env python3
"""Loads a PowerClip checkpoint into a PyTorch model built like open_clip's CLIP (same module tree,
nn.MultiheadAttention, strict state-dict loading) and compares its outputs with PowerClip's.

    dotnet tests/PowerClip.Model.Tests/bin/Release/net10.0/PowerClip.Model.Tests.dll export-check /tmp/pc
    /usr/bin/python3 scripts/check-open-clip-layout.py /tmp/pc        # needs PyTorch (Debian: python3-torch)

Manual check, not part of CI (PyTorch is not a dependency of the project). Tiny preset shapes."""
import json, struct, sys
from collections import OrderedDict
import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "BOOL": np.bool_}

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy())
    return out

class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, mlp_ratio):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, hidden)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(hidden, width))]))
    def forward(self, x, mask=None):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))

class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads, mlp_ratio) for _ in range(layers)])
    def forward(self, x, mask=None):
        for r in self.resblocks:
            x = r(x, mask)
        return x

class VisionTransformer(nn.Module):
    def __init__(self, image, patch, width, layers, heads, mlp_ratio, embed):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros((image // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_ratio)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.zeros(width, embed))
    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], 1) + self.positional_embedding
        x = self.ln_post(self.transformer(self.ln_pre(x)))
        patches = x[:, 1:] @ self.proj
        return patches.mean(1), patches          # open_clip pool_type 'avg'

class CLIP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        v, t = cfg["vision_cfg"], cfg["text_cfg"]
        self.visual = VisionTransformer(v["image_size"], v["patch_size"], v["width"], v["layers"], v["heads"], v["mlp_ratio"], cfg["embed_dim"])
        self.token_embedding = nn.Embedding(t["vocab_size"], t["width"])
        self.positional_embedding = nn.Parameter(torch.zeros(t["context_length"], t["width"]))
        self.transformer = Transformer(t["width"], t["layers"], t["heads"], t["mlp_ratio"])
        self.ln_final = nn.LayerNorm(t["width"])
        self.text_projection = nn.Parameter(torch.zeros(t["width"], cfg["embed_dim"]))
        self.logit_scale = nn.Parameter(torch.zeros([]))
        ctx = t["context_length"]
        self.register_buffer("attn_mask", torch.full((ctx, ctx), float("-inf")).triu(1), persistent=False)
    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.positional_embedding
        feats = self.ln_final(self.transformer(x, self.attn_mask)) @ self.text_projection
        valid = (tokens != 0).unsqueeze(-1).float()
        return (feats * valid).sum(1) / valid.sum(1), feats   # mean over valid tokens (the paper)

def main(d):
    cfg = json.load(open(sys.argv[2] if len(sys.argv) > 2 else "PowerClip.Model/Presets/tiny.json"))
    model = CLIP(cfg)
    model.load_state_dict(load_safetensors(f"{d}/model.safetensors"), strict=True)
    io = load_safetensors(f"{d}/io.safetensors")
    with torch.no_grad():
        img, patches = model.visual(io["images"])
        txt, feats = model.encode_text(io["tokens"])
    pairs = [("image_embeds", nn.functional.normalize(img, dim=-1)), ("text_embeds", nn.functional.normalize(txt, dim=-1)),
             ("patch_tokens", patches), ("token_features", feats)]
    worst = 0.0
    for name, ours in pairs:
        diff = (ours - io[name]).abs().max().item()
        worst = max(worst, diff)
        print(f"{name}: max |PyTorch - PowerClip| = {diff:.2e}")
    print(f"state dict loaded strictly ({len(model.state_dict())} tensors); worst difference {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)

if __name__ == "__main__":
    main(sys.argv[1])
