/// open_clip's model JSON as published, QuickGELU, the text projection with bias, the pooling variants and the
/// caption length taken from the end token (not from a padding id).
module PowerClip.Model.Tests.OpenClipConfigTests

open System
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData
open PowerClip.Tests.Shared.OpenClipConfigs


/// A small model in open_clip's layout: CLIP-style vocabulary of 600 ids (end token 599), head_width 16.
let private small (extra: string) (textExtra: string) =
    $$"""{"embed_dim": 16 {{extra}}, "vision_cfg": {"image_size": 16, "patch_size": 8, "width": 32,
       "head_width": 16, "layers": 1},
       "text_cfg": {"context_length": 8, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1 {{textExtra}} } }"""

let private message (f: unit -> unit) : string =
    try
        f ()
        failtest "no exception"
    with :? ArgumentException as e -> e.Message

let private tokens (rows: int64[][]) (context: int) : torch.Tensor =
    let data = rows |> Array.collect (fun r -> Array.append r (Array.zeroCreate (context - r.Length)))
    torch.from_array(data).reshape([| int64 rows.Length; int64 context |])

[<Tests>]
let tests =
    testList "open_clip configs" [
        test "ViT-B-16.json as published: heads from head_width 64, open_clip's defaults tok/argmax, GELU, \
            ViT-B-16's size" {
            let c = Presets.Parse(vitB16, "ViT-B-16.json")
            Expect.equal (c.Vision.Heads, c.Vision.MlpRatio, c.Vision.Pool) (12, 4.0, Pooling.Token)
                "768 / 64 heads, class token"
            Expect.equal (c.Text.Heads, c.Text.Pool, c.Text.EndId, c.Text.ProjectionBias)
                (8, Pooling.Token, 49407, false) "argmax = CLIP's end token"
            Expect.isFalse c.QuickGelu "GELU"
            Expect.floatClose Accuracy.high c.InitLogitScale (1.0 / 0.07)
                "open_clip's init_logit_scale default log(1/0.07)"
            Expect.equal c.Name "ViT-B-16" "named after the file"
            use model = new ClipModel(c)
            Expect.equal (model.parameters() |> Seq.sumBy (fun p -> p.numel())) 149620737L
                "open_clip ViT-B-16's parameter count"
            Expect.isTrue (Presets.Parse(vitB16QuickGelu, "q.json")).QuickGelu "quick_gelu"
        }
        test "head_width other than 64, eos pooling with its id, first/last pooling, init_logit_scale read as a log" {
            let c = Presets.Parse(small ", \"init_logit_scale\": 2.302585092994046" ", \"pool_type\": \"eos\", \
                                  \"eos_id\": 5", "s.json")
            Expect.equal c.Vision.Heads 2 "32 / 16"
            Expect.equal (c.Text.Pool, c.Text.EndId) (Pooling.Token, 5) "eos with its id"
            Expect.floatClose Accuracy.high c.InitLogitScale 10.0 "exp(ln 10)"
            Expect.equal (Presets.Parse(small "" ", \"pool_type\": \"first\"", "f.json")).Text.Pool Pooling.First
                "first"
            Expect.equal (Presets.Parse(small "" ", \"pool_type\": \"last\"", "l.json")).Text.Pool Pooling.Last "last"
            Expect.equal (Presets.Parse(small "" ", \"pool_type\": \"mean\"", "m.json")).Text.Pool Pooling.Average
                "ours: mean"
        }
        test "unknown pooling types, unknown keys, unsupported architecture keys and malformed JSON name the key" {
            let parse (json: string) () = Presets.Parse(json, "bad.json") |> ignore
            Expect.stringContains (message (parse (small "" ", \"pool_type\": \"cls\"")))
                "text_cfg.pool_type 'cls' is not a pooling type" "text pool"
            Expect.stringContains (message (parse ((small "" "").Replace("\"layers\": 1}",
                                                                         "\"layers\": 1, \"pool_type\": \"max\"}"))))
                "vision_cfg.pool_type 'max'" "vision pool"
            Expect.stringContains (message (parse (small "" ", \"pool_type\": \"eos\""))) "needs text_cfg.eos_id"
                "eos without its id"
            Expect.stringContains (message (parse (small "" ", \"hf_tokenizer_name\": \"bert-base-uncased\"")))
                "text_cfg.hf_tokenizer_name" "HF tokenizer"
            Expect.stringContains (message (parse (small ", \"init_logit_bias\": -10" ""))) "init_logit_bias" "SigLIP"
            Expect.stringContains (message (parse ((small "" "").Replace("\"layers\": 1}",
                                                                         "\"layers\": 1, \"ls_init_value\": 1e-4}"))))
                "vision_cfg.ls_init_value" "layer scale"
            Expect.stringContains (message (parse (small "" ", \"colour\": 3"))) "unknown key 'text_cfg.colour'"
                "unknown key"
            Expect.stringContains (message (parse ((small "" "").Replace("\"vocab_size\": 600",
                                                                         "\"vocab_size\": \"many\""))))
                "'text_cfg.vocab_size' must be an integer" "type"
            Expect.stringContains (message (parse (small "" ", \"vocab_size\": 601"))) "model config bad.json: "
                "a key given twice"
            Expect.stringContains (message (parse "{\"embed_dim\": 8,")) "not valid JSON" "truncated file"
            Expect.stringContains (message (parse ((small "" "").Replace("\"head_width\": 16", "\"head_width\": 24"))))
                "head_width 24" "head width"
        }
        test "QuickGELU is x·σ(1.702x) and is what the MLPs use when quick_gelu is set" {
            use scope = torch.NewDisposeScope()
            let x = torch.linspace(-4.0, 4.0, 17L, dtype = torch.float64)
            let q = (new QuickGelu()).forward(x)
            let expected = values x |> Array.map (fun v -> v / (1.0 + exp (-1.702 * v)))
            Expect.isLessThan (maxAbsDiff (values q) expected) 1e-12 "definition"
            let cfg = Presets.Parse(small "" "", "s.json")
            torch.manual_seed 3L |> ignore
            use gelu = new ClipModel(cfg)
            torch.manual_seed 3L |> ignore
            use quick = new ClipModel(Presets.Parse(small ", \"quick_gelu\": true" "", "q.json"))
            let images = torch.randn(1L, 3L, 16L, 16L)
            let g, _ = gelu.Visual.Encode(images).ToTuple()
            let q, _ = quick.Visual.Encode(images).ToTuple()
            Expect.isGreaterThan (maxAbsDiff (values g) (values q)) 1e-4 "same weights, other activation, other output"
        }
        test "proj_bias: text_projection is a Linear (weight [E, W], bias [E]) applied to the pooled feature" {
            use scope = torch.NewDisposeScope()
            let cfg = Presets.Parse(small "" ", \"proj_bias\": true", "b.json")
            use model = new ClipModel(cfg)
            let sd = Checkpoint.OpenClipStateDict model
            Expect.sequenceEqual sd["text_projection.weight"].shape [| 16L; 32L |] "weight [E, W]"
            Expect.sequenceEqual sd["text_projection.bias"].shape [| 16L |] "bias [E]"
            Expect.isFalse (sd.ContainsKey "text_projection") "no matrix"
            let toks = tokens [| [| 598L; 7L; 8L; 599L |] |] 8
            let g, feats, _ = model.Text.Encode(toks).ToTuple()
            Expect.isLessThan (maxAbsDiff (values g) (values feats[0L, 3L])) 1e-6 "argmax pooling at the end token"
            use noBias = new ClipModel(Presets.Parse(small "" "", "s.json"))
            let plain = Checkpoint.OpenClipStateDict noBias
            Expect.sequenceEqual plain["text_projection"].shape [| 32L; 16L |] "without: [W, E]"
            // A change of dtype re-registers parameters: each name must stay once (float64 in the distributed tests).
            for m in [ model; noBias ] do
                m.``to``(torch.float64) |> ignore
                let names = m.state_dict().Keys |> List.ofSeq
                Expect.equal (List.distinct names) names "no name twice after .to(float64)"
                Expect.equal (Checkpoint.OpenClipStateDict m).Count names.Length "open_clip names, one per tensor"
        }
        test "the caption's length comes from its end token: id 0 inside counts, anything after the end does not" {
            use scope = torch.NewDisposeScope()
            let cfg = (Presets.Parse(small "" ", \"pool_type\": \"mean\"", "m.json"))
            use model = new ClipModel(cfg)
            let a = tokens [| [| 598L; 0L; 9L; 599L |] |] 8
            let b = torch.tensor([| 598L; 0L; 9L; 599L; 5L; 0L; 7L; 599L |]).reshape(1L, 8L)
            let ga, fa, ma = model.Text.Encode(a).ToTuple()
            let gb, fb, mb = model.Text.Encode(b).ToTuple()
            Expect.sequenceEqual (ma.data<bool>().ToArray()) [| true; true; true; true; false; false; false; false |]
                "start … end"
            Expect.sequenceEqual (ma.data<bool>().ToArray()) (mb.data<bool>().ToArray())
                "positions after the end token are padding"
            Expect.isLessThan (maxAbsDiff (values ga) (values gb)) 1e-6 "the same caption gives the same embedding"
            Expect.isLessThan (maxAbsDiff (values (fa.narrow(1L, 0L, 4L))) (values (fb.narrow(1L, 0L, 4L)))) 1e-6
                "causal: caption features unchanged"
            let w = ma.to_type(torch.float32).unsqueeze(-1L)
            Expect.isLessThan (maxAbsDiff (values ga) (values ((fa * w).sum(1L) / w.sum(1L)))) 1e-6
                "mean over start … end"
            let c = tokens [| [| 598L; 1L; 9L; 599L |] |] 8
            let gc, _, _ = model.Text.Encode(c).ToTuple()
            Expect.isGreaterThan (maxAbsDiff (values ga) (values gc)) 1e-5
                "a token 0 inside the caption is read, not masked"
        }
        test "end-token pooling under GPT-2's ids (start 50257 > end 50256) pools the end token, not the largest id" {
            use scope = torch.NewDisposeScope()
            let cfg = Presets.Load("tiny").With(Pooling.Token)
            Expect.equal cfg.Text.EndId 50256 "tiny is GPT-2's vocabulary"
            use model = new ClipModel(cfg)
            let toks = tokens [| [| 50257L; 64L; 3290L; 50256L |]; [| 50257L; 7L; 50256L |] |] 16
            let g, feats, _ = model.Text.Encode(toks).ToTuple()
            Expect.isLessThan (maxAbsDiff (values g) (values (torch.stack([| feats[0L, 3L]; feats[1L, 2L] |])))) 1e-6
                "end tokens"
            Expect.isGreaterThan (maxAbsDiff (values g[0L]) (values feats[0L, 0L])) 1e-4 "not the start token"
        }
        test "first and last pooling take positions 0 and S−1, as open_clip's text_global_pool" {
            use scope = torch.NewDisposeScope()
            let toks = tokens [| [| 598L; 7L; 599L |] |] 8
            for pool, position in [ "first", 0L; "last", 7L ] do
                use model = new ClipModel(Presets.Parse(small "" $", \"pool_type\": \"{pool}\"", "p.json"))
                let g, feats, _ = model.Text.Encode(toks).ToTuple()
                Expect.isLessThan (maxAbsDiff (values g) (values (feats.select(1L, position)))) 1e-6 pool
        }
        test "a caption without its end token, or empty, is refused naming the sample" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(Presets.Parse(small "" "", "s.json"))
            Expect.stringContains
                (message (fun () -> model.Text.Encode(tokens [| [| 598L; 599L |]; [| 598L; 5L |] |] 8) |> ignore))
                "no end token (id 599) in sample 1" "no end"
            Expect.stringContains (message (fun () -> model.Text.Encode(tokens [| [| 599L |] |] 8) |> ignore)) "empty"
                "end at 0"
        }
    ]
