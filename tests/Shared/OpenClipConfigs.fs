/// open_clip's published model configs, as fixtures for the tests that read them (PowerClip.Model.Tests parses
/// them, PowerClip.Train.Tests round-trips them through the PyTorch peer). Compiled into both test projects.
module PowerClip.Tests.Shared.OpenClipConfigs

/// open_clip's src/open_clip/model_configs/ViT-B-16.json, as published.
let vitB16 = """{
    "embed_dim": 512,
    "vision_cfg": {
        "image_size": 224,
        "layers": 12,
        "width": 768,
        "patch_size": 16
    },
    "text_cfg": {
        "context_length": 77,
        "vocab_size": 49408,
        "width": 512,
        "heads": 8,
        "layers": 12
    }
}"""

/// open_clip's ViT-B-16-quickgelu.json (OpenAI's weights), as published.
let vitB16QuickGelu = vitB16.Replace("\"embed_dim\": 512,", "\"embed_dim\": 512,\n    \"quick_gelu\": true,")
