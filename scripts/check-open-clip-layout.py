#!/usr/bin/python3
"""PowerClip checkpoints in and out of open_clip's layout, checked against the PyTorch peer (bench/pytorch's
open_clip-layout CLIP: the same module tree and state-dict names, nn.MultiheadAttention, strict loading).

    check-open-clip-layout.py make  DIR MODEL_JSON [--seed N]      random-weight model of MODEL_JSON in open_clip's
        layout -> DIR/model.safetensors, DIR/inputs.safetensors (images, tokens), DIR/peer.safetensors (embeddings)
    check-open-clip-layout.py check DIR MODEL_JSON [--tolerance T] loads DIR/model.safetensors (written by PowerClip)
        with strict=True, embeds DIR/inputs.safetensors and compares with DIR/ours.safetensors (PowerClip's embeddings)

MODEL_JSON is read with open_clip's meaning (model_configs/ViT-*.json: head_width 64 when heads is absent,
quick_gelu, pool_type defaults tok/argmax, proj_bias) plus PowerClip's own keys (vision heads, text pool 'mean',
eos_id). Embeddings are compared unnormalized: per embedding max |PyTorch - PowerClip| / max |PyTorch|.
Needs PyTorch and numpy (Debian: python3-torch); open_clip itself is not needed.
"""
import argparse, json, math, os, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "pytorch"))
from powerclip_peer import Clip, read_safetensors, write_safetensors  # noqa: E402  (one PyTorch model for all checks)


def peer_config(path):
    """A model config JSON (open_clip's meaning) as the peer's config."""
    cfg = json.load(open(path))
    v, t = cfg["vision_cfg"], cfg["text_cfg"]
    width = v.get("width", 768)
    vocab = t.get("vocab_size", 49408)
    return {
        "embed_dim": cfg["embed_dim"],
        "quick_gelu": cfg.get("quick_gelu", False),
        "max_logit_scale": cfg.get("max_logit_scale", 100.0),
        "init_logit_scale": cfg.get("init_logit_scale", math.log(1 / 0.07)),
        "vision": {"ImageSize": v.get("image_size", 224), "PatchSize": v.get("patch_size", 16), "Width": width,
                   "Layers": v.get("layers", 12), "Heads": v.get("heads", width // v.get("head_width", 64)),
                   "MlpRatio": v.get("mlp_ratio", 4.0), "Pool": v.get("pool_type", "tok")},
        "text": {"ContextLength": t.get("context_length", 77), "VocabSize": vocab, "Width": t.get("width", 512),
                 "Layers": t.get("layers", 12), "Heads": t.get("heads", 8), "MlpRatio": t.get("mlp_ratio", 4.0),
                 "Pool": {"avg": "mean"}.get(t.get("pool_type", "argmax"), t.get("pool_type", "argmax")),
                 "EndId": t.get("eos_id", vocab - 1), "ProjectionBias": t.get("proj_bias", False)},
    }


def randomize(model, cfg, seed):
    """open_clip's initialisation scales (CLIP.init_parameters, VisionTransformer) with every LayerNorm and bias
    drawn at random too, so that a parameter read in the wrong place cannot go unnoticed."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            kind, owner = name.split(".")[-1], name.split(".")[-2] if "." in name else ""
            if owner.startswith("ln_") and kind == "weight":
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif kind in ("bias", "in_proj_bias"):
                p.copy_(0.02 * torch.randn(p.shape, generator=g))
            elif name == "logit_scale":
                p.fill_(cfg["init_logit_scale"])
            else:
                # x @ proj matrices read their input along dim 0; weights, embeddings and the conv along dim 1 on.
                fan_in = p.shape[0] if name in ("visual.proj", "text_projection") else p[0].numel()
                std = 0.02 if name == "token_embedding.weight" else 0.01 if name == "positional_embedding" else fan_in ** -0.5
                p.copy_(std * torch.randn(p.shape, generator=g))


def inputs(cfg, seed):
    """2 images and 4 captions: short; with id 0 ('!' in CLIP's and GPT-2's vocabularies) inside; cut to the full
    context; start and end only. Start = the largest id below the end token, as in CLIP's vocabulary."""
    g = torch.Generator().manual_seed(seed + 1)
    v, t = cfg["vision"], cfg["text"]
    ctx, end = t["ContextLength"], t["EndId"]
    start = end - 1 if end == t["VocabSize"] - 1 else t["VocabSize"] - 1
    words = lambda n: [int(x) for x in torch.randint(1, min(end, start), (n,), generator=g)]
    rows = [[start] + words(5) + [end], [start, 320, 0, 1929, 0, end], [start] + words(ctx - 2) + [end], [start, end]]
    tokens = torch.zeros(len(rows), ctx, dtype=torch.long)
    for i, r in enumerate(rows):
        tokens[i, :len(r)] = torch.tensor(r)
    images = torch.randn(2, 3, v["ImageSize"], v["ImageSize"], generator=g)
    return images, tokens


def embed(model, images, tokens):
    with torch.no_grad():
        return model.visual(images)[0], model.encode_text(tokens)[0]


def worst(ours, ref):
    """max over embeddings of max |ours - ref| / max |ref|."""
    return ((ours - ref).abs().amax(1) / ref.abs().amax(1)).max().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["make", "check"])
    p.add_argument("dir")
    p.add_argument("model_json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = peer_config(a.model_json)
    model = Clip(cfg).eval()
    if a.mode == "make":
        os.makedirs(a.dir, exist_ok=True)
        randomize(model, cfg, a.seed)
        images, tokens = inputs(cfg, a.seed)
        img, txt = embed(model, images, tokens)
        write_safetensors(os.path.join(a.dir, "model.safetensors"), model.state_dict(), {"format": "pt"})
        write_safetensors(os.path.join(a.dir, "inputs.safetensors"), {"images": images, "tokens": tokens})
        write_safetensors(os.path.join(a.dir, "peer.safetensors"), {"image_embeds": img, "text_embeds": txt})
        print(f"wrote {a.dir}: {sum(x.numel() for x in model.parameters()):,} parameters, {len(model.state_dict())} tensors")
        return
    model.load_state_dict(read_safetensors(os.path.join(a.dir, "model.safetensors")), strict=True)
    io = read_safetensors(os.path.join(a.dir, "inputs.safetensors"))
    ours = read_safetensors(os.path.join(a.dir, "ours.safetensors"))
    img, txt = embed(model, io["images"], io["tokens"])
    ri, rt = worst(ours["image_embeds"], img), worst(ours["text_embeds"], txt)
    print(f"state dict loaded with strict=True ({len(model.state_dict())} tensors)")
    print(f"image embeddings: max relative difference {ri:.2e}")
    print(f"text embeddings: max relative difference {rt:.2e}")
    ok = ri <= a.tolerance and rt <= a.tolerance
    print("embeddings agree" if ok else f"embeddings DIFFER beyond {a.tolerance}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
