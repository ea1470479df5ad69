/// open_clip checkpoints in and out, against the PyTorch peer (scripts/check-open-clip-layout.py over
/// bench/pytorch/powerclip_peer.py): a random-weight ViT-B/16 in open_clip's exact layout, GELU and QuickGELU.
/// In: the peer's weights load here through TrainedModel.LoadOpenClip and give the peer's embeddings. Out: our ViT-B/16
/// weights load into the peer with strict=True and give ours. Runs where Debian's python3-torch is installed.
module PowerClip.Train.Tests.OpenClipParityTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.ClipBpeFiles
open PowerClip.Tests.Shared.OpenClipConfigs

let private tolerance = 1e-5

/// Per embedding max |ours − reference| / max |reference|, the worst over the batch (as the script computes it).
let private worst (ours: torch.Tensor) (reference: torch.Tensor) : float =
    use diff = (ours - reference).abs().amax([| 1L |]) / reference.abs().amax([| 1L |])
    diff.max().item<float32>() |> float

let private script (args: string list) : string =
    let path = Path.Combine(repoRoot (), "scripts", "check-open-clip-layout.py")
    let code, out, err = exec "/usr/bin/python3" ([ path ] @ args @ [ "--threads";
                                                                      string Environment.ProcessorCount ]) ""
    Expect.equal code 0 $"check-open-clip-layout.py {args.Head} (stdout: {out}; stderr: {err})"
    out

let private embed (model: ClipModel) (inputs: Collections.Generic.Dictionary<string, torch.Tensor>) =
    use _ = torch.no_grad()
    let image, _ = model.Visual.Encode(inputs["images"]).ToTuple()
    let text, _, _ = model.Text.Encode(inputs["tokens"]).ToTuple()
    image, text

/// In, then out, for one model JSON; `ours` is the model config our exported weights are built from.
let private roundTrip (name: string) (json: string) (ours: string) =
    let dir = Path.Combine(Path.GetTempPath(), "powerclip-tests", "parity-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory dir |> ignore
    try
        let jsonPath = Path.Combine(dir, name + ".json")
        File.WriteAllText(jsonPath, json)
        script [ "make"; dir; jsonPath; "--seed"; "7" ] |> ignore
        let inputs = Safetensors.Load(Path.Combine(dir, "inputs.safetensors"))
        let peer = Safetensors.Load(Path.Combine(dir, "peer.safetensors"))
        let inImage, inText =
            use loaded = TrainedModel.LoadOpenClip(Path.Combine(dir, "model.safetensors"), jsonPath,
                                                   "clip:" + full.Value, torch.CPU)
            let i, t = embed loaded.Model inputs
            worst i peer["image_embeds"], worst t peer["text_embeds"]
        printfn $"{name} in (peer weights here): image {inImage:E2}, text {inText:E2}"
        Expect.isLessThanOrEqual inImage tolerance $"{name}: image embeddings of the peer's weights"
        Expect.isLessThanOrEqual inText tolerance $"{name}: text embeddings of the peer's weights"
        // Out: our own random ViT-B/16 of `ours`, saved as training saves it, read by the peer with strict=True.
        torch.manual_seed 8L |> ignore
        use model = new ClipModel(Presets.Load ours)
        Checkpoint.Save(model, Path.Combine(dir, "model.safetensors"))
        let image, text = embed model inputs
        let embeddings = Collections.Generic.Dictionary<string, torch.Tensor>(dict [ "image_embeds", image;
                                                                                     "text_embeds", text ])
        Safetensors.Save(Path.Combine(dir, "ours.safetensors"), embeddings)
        let out = script [ "check"; dir; ours; "--tolerance"; string tolerance ]
        let lines = String.Join("; ", out.Trim().Split('\n'))
        printfn $"{name} out (our weights in the peer): {lines}"
        Expect.stringContains out "loaded with strict=True" "strict load"
        Expect.stringContains out "embeddings agree" "our embeddings in the peer"
    finally
        try Directory.Delete(dir, true) with _ -> ()

let private presetJson (name: string) = Path.Combine(repoRoot (), "PowerClip.Model", "Presets", name + ".json")

[<Tests>]
let tests =
    testSequenced <| testList "open_clip parity" [
        test "ViT-B-16 (GELU): open_clip weights in and our vit-b-16 preset out agree with PyTorch to 1e-5 (needs \
            python3-torch)" {
            if not (pythonHas "torch, numpy") then skiptest "python3-torch is not installed (apt-get install -y \
                                                       python3-torch libopenblas0-pthread)"
            roundTrip "ViT-B-16" vitB16 (presetJson "vit-b-16")
        }
        test "ViT-B-16-quickgelu (OpenAI's activation): in and out agree with PyTorch to 1e-5 (needs python3-torch)" {
            if not (pythonHas "torch, numpy") then skiptest "python3-torch is not installed (apt-get install -y \
                                                       python3-torch libopenblas0-pthread)"
            let dir = Path.Combine(Path.GetTempPath(), "powerclip-tests", "quickgelu-" + Guid.NewGuid().ToString("N"))
            Directory.CreateDirectory dir |> ignore
            let ours = Path.Combine(dir, "ViT-B-16-quickgelu.json")
            File.WriteAllText(ours, vitB16QuickGelu)
            try roundTrip "ViT-B-16-quickgelu" vitB16QuickGelu ours
            finally try Directory.Delete(dir, true) with _ -> ()
        }
    ]
