#!/usr/bin/env python3
"""Loads a PowerClip checkpoint into the PyTorch model of bench/pytorch/powerclip_peer.py (open_clip's CLIP
module tree, nn.MultiheadAttention, strict state-dict loading) and compares its outputs with PowerClip's.

    dotnet tests/PowerClip.Model.Tests/bin/Release/net10.0/PowerClip.Model.Tests.dll export-check /tmp/pc
    /usr/bin/python3 scripts/check-open-clip-layout.py /tmp/pc        # needs PyTorch (Debian: python3-torch)

Manual check, not part of CI (PyTorch is not a dependency of the project). Tiny preset shapes."""
import json, os, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "pytorch"))
from powerclip_peer import Clip, read_safetensors  # noqa: E402  (one PyTorch model for both checks)


def peer_config(preset):
    """An open_clip-style preset JSON (snake_case) as the peer's config (PowerClip.Model's record names)."""
    v, t = preset["vision_cfg"], preset["text_cfg"]
    return {
        "embed_dim": preset["embed_dim"],
        "max_logit_scale": preset.get("max_logit_scale", 100.0),
        "vision": {"ImageSize": v["image_size"], "PatchSize": v["patch_size"], "Width": v["width"], "Layers": v["layers"],
                   "Heads": v["heads"], "MlpRatio": v.get("mlp_ratio", 4.0)},
        "text": {"ContextLength": t["context_length"], "VocabSize": t["vocab_size"], "Width": t["width"], "Layers": t["layers"],
                 "Heads": t["heads"], "MlpRatio": t.get("mlp_ratio", 4.0), "PadId": t.get("pad_id", 0)},
    }


def main(d):
    preset = json.load(open(sys.argv[2] if len(sys.argv) > 2 else "PowerClip.Model/Presets/tiny.json"))
    model = Clip(peer_config(preset))
    model.load_state_dict(read_safetensors(f"{d}/model.safetensors"), strict=True)
    io = read_safetensors(f"{d}/io.safetensors")
    with torch.no_grad():
        img, txt, _, patches, feats = model(io["images"], io["tokens"])
    pairs = [("image_embeds", img), ("text_embeds", txt), ("patch_tokens", patches), ("token_features", feats)]
    worst = 0.0
    for name, ours in pairs:
        diff = (ours - io[name]).abs().max().item()
        worst = max(worst, diff)
        print(f"{name}: max |PyTorch - PowerClip| = {diff:.2e}")
    print(f"state dict loaded strictly ({len(model.state_dict())} tensors); worst difference {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main(sys.argv[1])
