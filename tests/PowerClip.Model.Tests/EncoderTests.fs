/// Encoders, presets, open_clip parameter names and the safetensors round trip.
module PowerClip.Model.Tests.EncoderTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private tiny () = Presets.Load "tiny"

let private tokens (rows: int64[][]) (context: int) : torch.Tensor =
    let data = rows |> Array.collect (fun r -> Array.append r (Array.zeroCreate (context - r.Length)))
    torch.from_array(data).reshape([| int64 rows.Length; int64 context |])

/// tiny reads GPT-2's ids: start 50257, end 50256.
let private sampleTokens () = tokens [| [| 50257L; 320L; 1929L; 50256L |]; [| 50257L; 518L; 2368L; 536L; 50256L |] |] 16

let private images (seed: int) (batch: int) (size: int) : torch.Tensor =
    torch.manual_seed(int64 seed) |> ignore
    torch.randn([| int64 batch; 3L; int64 size; int64 size |])

let private message (f: unit -> unit) : string =
    try
        f ()
        failtest "no exception"
    with
    | :? ArgumentException as e -> e.Message
    | :? InvalidDataException as e -> e.Message

let private tempFile () = Path.Combine(Path.GetTempPath(), $"powerclip-{Guid.NewGuid():N}.safetensors")

[<Tests>]
let tests =
    testList "encoders" [
        test "presets: tiny, small and the paper's vit-b-16" {
            Expect.containsAll Presets.Names [ "tiny"; "small"; "vit-b-16" ] "built-in presets"
            let p = Presets.Load "vit-b-16"
            Expect.equal (p.Vision.ImageSize, p.Vision.PatchSize, p.Vision.Width, p.Vision.Layers, p.Vision.Heads)
                (224, 16, 768, 12, 12) "paper ViT-B/16"
            Expect.equal (p.Text.Width, p.Text.Heads, p.Text.Layers, p.Text.ContextLength) (512, 8, 12, 77)
                "paper text tower"
            Expect.equal p.Vision.PatchCount 196 "N = 196 patches"
            Expect.floatClose { absolute = 1e-12; relative = 1e-12 } p.InitLogitScale (1.0 / 0.07)
                "logit scale init 1/0.07"
        }
        test "a preset with a bad field is rejected, naming the field" {
            let badPatch =
                """{"embed_dim": 8, "vision_cfg": """
                + """{"image_size": 30, "patch_size": 8, "width": 8, "layers": 1, "heads": 2}, "text_cfg": """
                + """{"context_length": 8, "vocab_size": 10, "width": 8, "layers": 1, "heads": 2}}"""
            Expect.stringContains (message (fun () -> Presets.Parse(badPatch, "x.json") |> ignore)) "patch_size"
                "image size not a multiple of the patch"
            Expect.stringContains
                (message (fun () -> Presets.Parse("""{"embed_dim": 8, "text_cfg": {}}""", "x.json") |> ignore))
                "vision_cfg" "missing tower"
            Expect.stringContains (message (fun () -> Presets.Load "huge" |> ignore)) "unknown model preset 'huge'"
                "unknown name"
        }
        test "vit-b-16 has open_clip ViT-B-16's 149,620,737 parameters and runs at 224 px" {
            use model = new ClipModel(Presets.Load "vit-b-16")
            let count = model.parameters() |> Seq.sumBy (fun p -> p.numel())
            Expect.equal count 149620737L "parameter count of open_clip ViT-B-16"
            use scope = torch.NewDisposeScope()
            use noGrad = torch.no_grad()
            let o = model.Forward(images 8 1 224, tokens [| [| 49406L; 320L; 1929L; 49407L |] |] 77)
            Expect.sequenceEqual o.PatchTokens.shape [| 1L; 196L; 512L |] "196 patch tokens in the 512-d joint space"
            Expect.sequenceEqual o.TokenFeatures.shape [| 1L; 77L; 512L |] "77 token features"
        }
        test "state-dict names follow open_clip" {
            use model = new ClipModel(tiny ())
            let keys = Checkpoint.OpenClipStateDict(model).Keys |> Set.ofSeq
            for k in [ "visual.conv1.weight"; "visual.class_embedding"; "visual.positional_embedding";
                       "visual.ln_pre.weight"
                       "visual.transformer.resblocks.0.ln_1.weight"
                       "visual.transformer.resblocks.0.attn.in_proj_weight"
                       "visual.transformer.resblocks.0.attn.in_proj_bias"
                       "visual.transformer.resblocks.1.attn.out_proj.weight"
                       "visual.transformer.resblocks.1.mlp.c_fc.weight"
                       "visual.transformer.resblocks.1.mlp.c_proj.bias"
                       "visual.ln_post.bias"; "visual.proj"; "token_embedding.weight"; "positional_embedding"
                       "transformer.resblocks.0.attn.in_proj_weight"; "transformer.resblocks.1.ln_2.bias"
                       "ln_final.weight"
                       "text_projection"; "logit_scale" ] do
                Expect.isTrue (keys.Contains k) $"has {k}"
            Expect.isFalse (keys |> Set.exists (fun k -> k.StartsWith "text.")) "text tower at the top level"
            Expect.equal keys.Count (model.state_dict().Count) "one name per tensor"
        }
        test "safetensors round trip is exact (bytes and values)" {
            let a, b = tempFile (), tempFile ()
            try
                torch.manual_seed 1L |> ignore
                use m1 = new ClipModel(tiny ())
                torch.manual_seed 2L |> ignore
                use m2 = new ClipModel(tiny ())
                Checkpoint.Save(m1, a)
                Checkpoint.Load(m2, a)
                let s1, s2 = Checkpoint.OpenClipStateDict m1, Checkpoint.OpenClipStateDict m2
                for KeyValue(k, t) in s1 do
                    Expect.isTrue (t.allclose(s2[k], 0.0, 0.0)) $"{k} equal after load"
                Checkpoint.Save(m2, b)
                Expect.sequenceEqual (File.ReadAllBytes b) (File.ReadAllBytes a) "re-saved file is byte-identical"
                let loaded = Safetensors.Load a
                Expect.equal loaded["visual.proj"].dtype torch.float32 "dtype kept"
            finally
                File.Delete a; File.Delete b
        }
        test "loading a mismatched or corrupt file names the problem" {
            let path = tempFile ()
            try
                use model = new ClipModel(tiny ())
                let sd = Checkpoint.OpenClipStateDict model
                sd.Remove "visual.proj" |> ignore
                Safetensors.Save(path, sd)
                Expect.stringContains (message (fun () -> Checkpoint.Load(model, path))) "missing: visual.proj"
                    "missing key"
                sd["visual.proj"] <- torch.zeros(3L, 3L)
                Safetensors.Save(path, sd)
                Expect.stringContains (message (fun () -> Checkpoint.Load(model, path)))
                    "'visual.proj' has shape [3, 3]" "wrong shape"
                File.WriteAllBytes(path, Array.append (BitConverter.GetBytes 1000000UL) [| 1uy; 2uy |])
                Expect.stringContains (message (fun () -> Checkpoint.Load(model, path))) "header length"
                    "corrupt header"
            finally
                File.Delete path
        }
        test "forward: shapes, unit global embeddings, logit scale 1/0.07" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(tiny ())
            let o = model.Forward(images 3 2 32, sampleTokens ())
            Expect.sequenceEqual o.ImageEmbeds.shape [| 2L; 32L |] "image embeddings"
            Expect.sequenceEqual o.PatchTokens.shape [| 2L; 16L; 32L |] "4×4 patches"
            Expect.sequenceEqual o.TokenFeatures.shape [| 2L; 16L; 32L |] "token features"
            Expect.isLessThan (maxAbsDiff (values (o.ImageEmbeds.norm(1, false))) [| 1.0; 1.0 |]) 1e-5 "normalized"
            Expect.floatClose Accuracy.medium (o.LogitScale.item<float32>() |> float) (1.0 / 0.07) "init"
            Expect.sequenceEqual (o.TokenMask.sum(1L).data<int64>().ToArray()) [| 4L; 5L |] "valid tokens"
        }
        test "average pooling = mean over patches / the caption's tokens; Token pooling uses CLS / the end token" {
            use scope = torch.NewDisposeScope()
            let cfg = tiny ()
            torch.manual_seed 5L |> ignore
            use model = new ClipModel(cfg)
            let img = images 4 2 32
            let toks = sampleTokens ()
            let g, patches = model.Visual.Encode(img).ToTuple()
            Expect.isLessThan (maxAbsDiff (values g) (values (patches.mean([| 1L |])))) 1e-6 "vision mean"
            let tg, feats, valid = model.Text.Encode(toks).ToTuple()
            let w = valid.to_type(torch.float32).unsqueeze(-1L)
            Expect.isLessThan (maxAbsDiff (values tg) (values ((feats * w).sum(1L) / w.sum(1L)))) 1e-6
                "text mean over valid tokens"
            torch.manual_seed 5L |> ignore
            use tokModel = new ClipModel(cfg.With(Pooling.Token))
            let tg2, feats2, _ = tokModel.Text.Encode(toks).ToTuple()
            Expect.isLessThan (maxAbsDiff (values tg2) (values (torch.stack([| feats2[0L, 3L]; feats2[1L, 4L] |]))))
                1e-6 "the end token"
            let vg2, _ = tokModel.Visual.Encode(img).ToTuple()
            Expect.isGreaterThan (maxAbsDiff (values vg2) (values g)) 1e-4 "CLS pooling differs from the mean"
        }
        test "the text transformer is causal" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(tiny ())
            let a = tokens [| [| 50257L; 320L; 1929L; 50256L |] |] 16
            let b = tokens [| [| 50257L; 320L; 7L; 50256L |] |] 16
            let _, fa, _ = model.Text.Encode(a).ToTuple()
            let _, fb, _ = model.Text.Encode(b).ToTuple()
            Expect.isLessThan (maxAbsDiff (values (fa.narrow(1L, 0L, 2L))) (values (fb.narrow(1L, 0L, 2L)))) 1e-6
                "positions before the change agree"
            Expect.isGreaterThan (maxAbsDiff (values (fa.narrow(1L, 2L, 1L))) (values (fb.narrow(1L, 2L, 1L)))) 1e-4
                "the changed position differs"
        }
        test "the logit scale is clamped at 100 and stops its gradient there" {
            use model = new ClipModel(tiny ())
            let p =
                model.named_parameters() |> Seq.find (fun struct (n, _) -> n = "logit_scale") |> fun struct (_, p) -> p
            using (torch.no_grad()) (fun _ -> p.fill_((Math.Log 1000.0).ToScalar()) |> ignore)
            let s = model.LogitScale()
            Expect.floatClose Accuracy.medium (float (s.item<float32>())) 100.0 "clamped"
            s.backward()
            Expect.equal ((nonNull p.grad).item<float32>()) 0.0f "no gradient past the clamp"
            model.ClampLogitScale()
            Expect.floatClose Accuracy.medium (float (p.item<float32>())) (log 100.0) "the stored value is clamped too"
        }
        test "FLIP patch dropping keeps round(N·ratio) random patches" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(tiny ())
            let img = images 6 2 32
            let _, kept = model.Visual.Encode(img, 0.5, new torch.Generator(1UL)).ToTuple()
            Expect.equal kept.shape[1] 8L "8 of 16 patches"
            let _, kept2 = model.Visual.Encode(img, 0.5, new torch.Generator(2UL)).ToTuple()
            Expect.isGreaterThan (maxAbsDiff (values kept) (values kept2)) 1e-4 "another seed keeps other patches"
            Expect.throws (fun () -> model.Visual.Encode(img, 0.0) |> ignore) "ratio 0 rejected"
        }
        test "bad token and image input is rejected, naming the sample" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(tiny ())
            Expect.stringContains
                (message (fun () -> model.Text.Encode(tokens [| [| 1L; 50256L |]; [| 1L; 60000L |] |] 16) |> ignore))
                "sample 1" "id outside the vocabulary"
            Expect.stringContains
                (message (fun () -> model.Text.Encode(tokens [| [| 1L; 50256L |]; [||] |] 16) |> ignore))
                "no end token (id 50256) in sample 1" "empty caption"
            Expect.stringContains (message (fun () -> model.Visual.Encode(images 1 2 24) |> ignore))
                "images has shape [2, 3, 24, 24]" "wrong image size"
            Expect.stringContains (message (fun () -> model.Forward(images 1 3 32, sampleTokens ()) |> ignore))
                "batch sizes differ" "3 images, 2 captions"
        }
    ]
