#!/usr/bin/python3
"""PyTorch peer of `powerclip bench`: the same CLIP model (open_clip layout) and the same CLIP / PowerCLIP
objectives, written from docs/method.md and PowerClip.Model's architecture, for side-by-side timing.

  powerclip_peer.py DIR --check            losses on DIR's weights and inputs against the .NET values
  powerclip_peer.py DIR --repeats N ...    median per-phase step times of CLIP and PowerCLIP (alternated)

DIR is written by `powerclip bench --export DIR`: model.safetensors (open_clip names), inputs.safetensors,
bench.json (config and the .NET losses). Needs only torch and numpy (Debian: python3-torch).
"""
import argparse, json, math, os, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_, "U8": np.uint8}


def read_safetensors(path):
    """The safetensors format: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, raw data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_safetensors(path, tensors, metadata=None):
    """The same format, written: tensors in name order, 8-byte aligned header."""
    codes = {v: k for k, v in DTYPES.items()}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        a = tensors[name].detach().cpu().contiguous().numpy()
        data = a.tobytes()
        header[name] = {"dtype": codes[a.dtype.type], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class QuickGELU(nn.Module):
    """open_clip's QuickGELU, x * sigmoid(1.702 x) (OpenAI's CLIP weights)."""

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    """Pre-LN residual attention block with open_clip's names (nn.MultiheadAttention: in_proj_*, out_proj)."""

    def __init__(self, width, heads, mlp_ratio, quick_gelu=False):
        super().__init__()
        hidden = round(width * mlp_ratio)
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, hidden))
        self.mlp.add_module("gelu", QuickGELU() if quick_gelu else nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(hidden, width))

    def forward(self, x, mask):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio, quick_gelu=False):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(width, heads, mlp_ratio, quick_gelu) for _ in range(layers)])

    def forward(self, x, mask=None):
        for b in self.resblocks:
            x = b(x, mask)
        return x


class Visual(nn.Module):
    """open_clip's VisionTransformer: pool_type 'tok' (class token) or 'avg' (mean of the patch tokens), after ln_post."""

    def __init__(self, v, embed, quick_gelu=False):
        super().__init__()
        w, g = v["Width"], v["ImageSize"] // v["PatchSize"]
        self.pool = v.get("Pool", "avg")
        self.conv1 = nn.Conv2d(3, w, v["PatchSize"], v["PatchSize"], bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(g * g + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, v["Layers"], v["Heads"], v["MlpRatio"], quick_gelu)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.zeros(w, embed))

    def forward(self, images):
        x = self.conv1(images).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], 1) + self.positional_embedding
        x = self.ln_post(self.transformer(self.ln_pre(x)))
        pooled = x[:, 1:].mean(1) if self.pool == "avg" else x[:, 0]
        return pooled @ self.proj, x[:, 1:] @ self.proj


class Clip(nn.Module):
    """open_clip's CLIP layout: visual.*, text tower at the top level, logit_scale. Text pooling as open_clip's
    text_global_pool ('argmax': the largest id; 'eos': the first EndId; 'first'; 'last') plus the paper's 'mean'
    over the caption (positions up to the first end token); text_projection a matrix or, with ProjectionBias, a Linear."""

    def __init__(self, cfg):
        super().__init__()
        t, e, quick = cfg["text"], cfg["embed_dim"], cfg.get("quick_gelu", False)
        self.visual = Visual(cfg["vision"], e, quick)
        self.token_embedding = nn.Embedding(t["VocabSize"], t["Width"])
        self.positional_embedding = nn.Parameter(torch.zeros(t["ContextLength"], t["Width"]))
        self.transformer = Transformer(t["Width"], t["Layers"], t["Heads"], t["MlpRatio"], quick)
        self.ln_final = nn.LayerNorm(t["Width"])
        if t.get("ProjectionBias", False):
            self.text_projection = nn.Linear(t["Width"], e)
        else:
            self.text_projection = nn.Parameter(torch.zeros(t["Width"], e))
        self.logit_scale = nn.Parameter(torch.zeros(()))
        self.end_id, self.text_pool, self.max_scale = t["EndId"], t.get("Pool", "mean"), cfg["max_logit_scale"]
        s = t["ContextLength"]
        self.register_buffer("causal", torch.full((s, s), float("-inf")).triu(1), persistent=False)

    def project(self, x):
        return self.text_projection(x) if isinstance(self.text_projection, nn.Linear) else x @ self.text_projection

    def encode_text(self, tokens):
        """Global text features (not normalized) and the projected features of every position."""
        s = tokens.shape[1]
        x = self.ln_final(self.transformer(self.token_embedding(tokens) + self.positional_embedding[:s], self.causal[:s, :s]))
        rows = torch.arange(x.shape[0])
        end = (tokens == self.end_id).int().cumsum(1).eq(0).sum(1)     # position of the first end token
        if self.text_pool == "argmax":
            pooled = x[rows, tokens.argmax(dim=-1)]
        elif self.text_pool == "eos":
            pooled = x[rows, end]
        elif self.text_pool == "first":
            pooled = x[:, 0]
        elif self.text_pool == "last":
            pooled = x[:, -1]
        else:                                                               # ours: mean over the caption
            w = (torch.arange(s).unsqueeze(0) <= end.unsqueeze(1)).to(x.dtype).unsqueeze(-1)
            pooled = (x * w).sum(1) / w.sum(1)
        return self.project(pooled), self.project(x)

    def forward(self, images, tokens):
        img, patches = self.visual(images)
        txt, feats = self.encode_text(tokens)
        scale = self.logit_scale.clamp(max=math.log(self.max_scale)).exp()
        return F.normalize(img, dim=-1), F.normalize(txt, dim=-1), scale, patches, feats


def clip_loss(img, txt, scale):
    logits = scale * img @ txt.t()
    labels = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


# As PowerClipScores.MinExponent: exp of −87…−104 gives float32 denormals (slow on x86); e^−60 is negligible.
MIN_EXPONENT = -60.0


def log_cosh(z):
    a = z.abs()
    return a + torch.log1p(torch.exp((-2 * a).clamp_min(MIN_EXPONENT))) - math.log(2.0)


def powerclip_scores(phi, psi, membership, node_mask, tau, log_cosh_weight):
    """S̄ = NLA-T1 + NLA-T2 from region embeddings φ [B,M,E] and leaf embeddings ψ [B,L,E] (docs/method.md §2–5)."""
    nodes = torch.einsum("jlt,jld->jtd", membership, psi)        # p_B = Σ_{l∈B} ψ_l
    s1 = torch.einsum("imd,jtd->ijmt", phi, nodes)               # S1 [Bi, Bj, M, T]
    w = node_mask                                                 # [Bj, T]
    # relu written (x + |x|)/2 so autograd gives softplus'(0) = 1/2 at S1 = 0, as in PowerClipScores.NlaT1
    sp = (s1 + s1.abs()) * 0.5 + tau * torch.log1p(torch.exp((-s1.abs() / tau).clamp_min(MIN_EXPONENT)))
    t2r = (sp.sum(-2) * w.unsqueeze(0)).sum(-1) / w.sum(-1).unsqueeze(0)
    half = s1 / (2 * tau)
    lam = (half + log_cosh_weight * log_cosh(half)).sum(-2)
    r2t = tau * lam.masked_fill(w.unsqueeze(0) == 0, float("-inf")).logsumexp(-1)
    return r2t + t2r


def hardest_triplet(x, delta):
    eye = torch.eye(x.shape[0], dtype=torch.bool)
    hardest = x.masked_fill(eye, float("-inf")).amax(1)
    return (hardest - x.diagonal() + delta).relu().mean()


def objective(name, out, inp, lc):
    img, txt, scale, patches, feats = out
    clip = clip_loss(img, txt, scale)
    if name == "clip":
        return clip
    phi = F.normalize(inp["masks"] @ patches, dim=-1)
    psi = F.normalize(inp["leaf_tokens"] @ feats, dim=-1)
    # The score scale ([reconstructed], PowerClipLossConfig.Scale): S̄ / M under RegionMean, as exported.
    s = powerclip_scores(phi, psi, inp["membership"], inp["node_mask"], lc["Tau"], lc["LogCoshWeight"]) / lc["ScoreDivisor"]
    return clip + lc["Lambda"] * (hardest_triplet(s, lc["Delta"]) + hardest_triplet(s.t(), lc["Delta"]))


def load(directory):
    cfg = json.load(open(os.path.join(directory, "bench.json")))
    model = Clip(cfg)
    model.load_state_dict(read_safetensors(os.path.join(directory, "model.safetensors")), strict=True)
    return cfg, model, read_safetensors(os.path.join(directory, "inputs.safetensors"))


def step_timer(name, model, inp, lc):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2)

    def run():
        t0 = time.perf_counter()
        opt.zero_grad()
        out = model(inp["images"], inp["tokens"])
        t1 = time.perf_counter()
        loss = objective(name, out, inp, lc)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(model.max_scale))
        t4 = time.perf_counter()
        return [1000 * (t1 - t0), 1000 * (t2 - t1), 1000 * (t3 - t2), 1000 * (t4 - t3), loss.item()]
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("--check", action="store_true", help="compare losses with the .NET values in bench.json and exit")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance of --check")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg, model, inp = load(a.dir)
    lc = cfg["loss"]
    if a.check:
        ok = True
        with torch.no_grad():
            out = model(inp["images"], inp["tokens"])
            for name, ref in cfg["losses"].items():
                got = objective(name, out, inp, lc).item()
                rel = abs(got - ref) / max(abs(ref), 1e-12)
                ok &= rel <= a.tolerance
                print(f"{name}: pytorch {got:.7f}  .NET {ref:.7f}  relative difference {rel:.2e}")
        print("losses agree" if ok else f"losses DIFFER beyond {a.tolerance}")
        sys.exit(0 if ok else 1)
    # One model per objective from the same weights, alternated repeat by repeat (as `powerclip bench`).
    runs = {}
    for name in ("clip", "powerclip"):
        m = Clip(cfg)
        m.load_state_dict(model.state_dict())
        runs[name] = step_timer(name, m, inp, lc)
    for _ in range(a.warmup):
        for r in runs.values():
            r()
    times = {n: [] for n in runs}
    for _ in range(a.repeats):
        for n, r in runs.items():
            times[n].append(r())
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads, batch {cfg['batch']}, preset {cfg['preset']}, median of {a.repeats} after {a.warmup} warm-up")
    print("| batch | objective | forward ms | loss ms | backward ms | optimizer ms | step ms |")
    print("|---|---|---|---|---|---|---|")
    for n, ts in times.items():
        med = [statistics.median(t[k] for t in ts) for k in range(4)]
        total = statistics.median(sum(t[:4]) for t in ts)
        print(f"| {cfg['batch']} | {n} | " + " | ".join(f"{x:.1f}" for x in med) + f" | {total:.1f} |")


if __name__ == "__main__":
    main()
