/// A-CLIP: its losses against PowerClip.Spec.SelfSupervised (values and gradients, float64), its forward pass's
/// shapes, the EMA update against the spec's schedule, and its state's checkpoint round trip.
module PowerClip.Model.Tests.AClipTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private b, v, e, p = 3, 2, 4, 3

/// X = views [b, v, e] | text [b, e] | SimCLR features [b, v, p] | BYOL predictions [b, v, p]; targets fixed.
let private split (x: float[]) =
    let views = Array.init b (fun i -> Array.init v (fun k -> x[(i * v + k) * e .. (i * v + k) * e + e - 1]))
    let o1 = b * v * e
    let text = Array.init b (fun i -> x[o1 + i * e .. o1 + i * e + e - 1])
    let o2 = o1 + b * e
    let ssl = Array.init b (fun i -> Array.init v (fun k -> x[o2 + (i * v + k) * p .. o2 + (i * v + k) * p + p - 1]))
    let o3 = o2 + b * v * p
    let online = Array.init b (fun i -> Array.init v (fun k -> x[o3 + (i * v + k) * p .. o3 + (i * v + k) * p + p - 1]))
    views, text, ssl, online

let private size = b * v * e + b * e + 2 * b * v * p

let private tensors (x: float[]) =
    let o1, o2 = b * v * e, b * v * e + b * e
    let o3 = o2 + b * v * p
    t64 x[.. o1 - 1] [| int64 b; int64 v; int64 e |], t64 x[o1 .. o2 - 1] [| int64 b; int64 e |],
    t64 x[o2 .. o3 - 1] [| int64 b; int64 v; int64 p |], t64 x[o3 ..] [| int64 b; int64 v; int64 p |]

let private captions (n: int) =
    let token k =
        match k % 16 with
        | 0 -> 50257L
        | c when c < 4 -> 320L + int64 k
        | 4 -> 50256L
        | _ -> 0L
    torch.from_array(Array.init (n * 16) token).reshape(int64 n, 16L)

[<Tests>]
let tests =
    testList "a-clip" [
        test "SimCLR: hand-computed value; SimCLR and BYOL equal the spec" {
            use scope = torch.NewDisposeScope()
            let eye = torch.eye(2L, dtype = torch.float64)
            Expect.floatClose
                Accuracy.veryHigh (SelfSupervisedLosses.SimClr(eye, eye, 1.0).item<float>()) (log (Math.E + 2.0) - 1.0)
                "log(e + 2) − 1"
            let r = Random 61
            let a, c = randomTensor r [| 5L; 3L |], randomTensor r [| 5L; 3L |]
            let spec = SelfSupervised.simclr 0.1 (Array.chunkBySize 3 (values a)) (Array.chunkBySize 3 (values c))
            Expect.isLessThan (abs (SelfSupervisedLosses.SimClr(a, c, 0.1).item<float>() - spec)) 1e-12 "SimCLR"
            let online, target = randomTensor r [| 5L; 2L; 3L |], randomTensor r [| 5L; 3L |]
            let specByol =
                SelfSupervised.byol
                    (Array.chunkBySize 6 (values online) |> Array.map (Array.chunkBySize 3))
                    (Array.chunkBySize 3 (values target))
            Expect.isLessThan (abs (SelfSupervisedLosses.Byol(online, target).item<float>() - specByol)) 1e-12 "BYOL"
        }
        test "the A-CLIP loss equals SelfSupervised.aClip; gradients equal the spec's central differences (float64)" {
            use scope = torch.NewDisposeScope()
            let r = Random 62
            let x = Array.init size (fun _ -> gaussian r)
            let target = Array.init b (fun _ -> Array.init p (fun _ -> gaussian r))
            let scale = 4.0
            let objective = AClipObjective(AClipSettings())
            let spec (x: float[]) =
                let views, text, ssl, online = split x
                SelfSupervised.aClip scale 1.0 0.1 2.0 views text ssl online target
            let vw, tx, ssl, on = tensors x
            for t in [ vw; tx; ssl; on ] do t.requires_grad_(true) |> ignore
            let loss =
                let targets = t64 (Array.concat target) [| int64 b; int64 p |]
                objective.FromEmbeddings(vw, tx, torch.tensor(scale, dtype = torch.float64), ssl, on, targets)
            Expect.isLessThan (abs (loss.Total.item<float>() - spec x)) 1e-12 "value"
            Expect.sequenceEqual (loss.Parts.Keys |> Seq.sort) [ "byol"; "clip"; "simclr" ] "parts"
            loss.Total.backward()
            let grad = Array.concat [ for t in [ vw; tx; ssl; on ] -> values (nonNull t.grad) ]
            Expect.isLessThan (maxAbsDiff grad (finiteDifference 1e-6 spec x)) 1e-6 "gradient"
        }
        test "the forward pass: V views of ⌈keep·blocks⌉ blocks, heads per view, repeatable with a seeded generator" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 63L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let objective = AClipObjective(AClipSettings())
            objective.Attach model
            let images = torch.randn(3L, 3L, 32L, 32L)
            let run seed =
                let context = ForwardContext(new torch.Generator(seed), 2, 10)
                (objective :> IContrastiveObjective).Forward(model, images, captions 3, context)
            let o = run 4UL
            Expect.equal o.PatchTokens.shape [| 3L; 8L; 32L |] "2 of 4 blocks of 2×2 patches"
            Expect.equal o.Extra[AClipObjective.Views].shape [| 3L; 2L; 32L |] "views"
            Expect.equal o.Extra[AClipObjective.SimClrFeatures].shape [| 3L; 2L; 16L |] "SimCLR features (E/2 = 16)"
            Expect.equal o.Extra[AClipObjective.ByolOnline].shape [| 3L; 2L; 16L |] "BYOL predictions"
            Expect.equal o.Extra[AClipObjective.ByolTarget].shape [| 3L; 16L |] "BYOL targets"
            Expect.isLessThan
                (maxAbsDiff (values o.ImageEmbeds) (values (o.Extra[AClipObjective.Views].select(1L, 0L)))) 1e-7
                "ImageEmbeds is view 1"
            Expect.isLessThan
                (maxAbsDiff (values o.ImageEmbeds) (values (run 4UL).ImageEmbeds)) 1e-6 "same generator, same views"
            Expect.isFalse o.Extra[AClipObjective.ByolTarget].requires_grad "the EMA target carries no gradient"
            let l = (objective :> IContrastiveObjective).Compute(ObjectiveInputs(o))
            Expect.isTrue (Double.IsFinite(l.Total.item<float32>() |> float)) "finite loss"
            let refused =
                try objective.Compute(ObjectiveInputs(model.Forward(images, captions 3))) |> ignore; ""
                with :? ArgumentException as x -> x.Message
            Expect.stringContains refused "own forward pass" "CLIP's forward is not enough"
        }
        test "attention scores: the class row under token pooling, the mean patch row under average pooling" {
            use scope = torch.NewDisposeScope()
            let att = torch.tensor([| 0.2; 0.5; 0.3;  0.1; 0.6; 0.3;  0.4; 0.4; 0.2 |]).reshape(1L, 3L, 3L)
            Expect.sequenceEqual
                (values (AClipObjective.PatchScores(att, AttentionQuery.Pooled, Pooling.Token))) [| 0.5; 0.3 |]
                "class token row"
            Expect.sequenceEqual
                (values (AClipObjective.PatchScores(att, AttentionQuery.Pooled, Pooling.Average))) [| 0.5; 0.25 |]
                "mean of the patch rows"
            Expect.sequenceEqual
                (values (AClipObjective.PatchScores(att, AttentionQuery.ClassToken, Pooling.Average))) [| 0.5; 0.3 |]
                "class token asked for"
        }
        test "EMA: starts equal to the model, then θ_ema ← m·θ_ema + (1 − m)·θ with the spec's cosine momentum" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 64L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let objective = AClipObjective(AClipSettings())
            objective.Attach model
            let ema () =
                objective.State.state_dict()
                |> Seq.filter (fun kv -> kv.Key.StartsWith "ema_visual.")
                |> Seq.map (fun kv -> kv.Key.Substring 11, values kv.Value)
                |> Map.ofSeq
            let online () = model.Visual.state_dict() |> Seq.map (fun kv -> kv.Key, values kv.Value) |> Map.ofSeq
            let e0, m0 = ema (), online ()
            for kv in m0 do Expect.sequenceEqual e0[kv.Key] kv.Value $"{kv.Key} copied"
            do
                use _ = torch.no_grad()
                for prm in model.Visual.parameters() do prm.add_(torch.ones_like(prm)) |> ignore
            objective.AfterOptimizerStep(model, 50, 100)
            let m = SelfSupervised.momentum 0.996 50 100
            Expect.floatClose Accuracy.veryHigh m 0.998 "m(50 of 100)"
            let e1, m1 = ema (), online ()
            for kv in m1 do
                let expected = SelfSupervised.emaStep m e0[kv.Key] kv.Value
                Expect.isLessThan (maxAbsDiff e1[kv.Key] expected) 1e-6 $"{kv.Key} moved by the EMA step"
            let trainable =
                objective.State.named_parameters()
                |> Seq.filter (fun struct (_, prm) -> prm.requires_grad)
                |> Seq.map (fun struct (n, _) -> n)
                |> List.ofSeq
            Expect.isTrue (trainable |> List.forall (fun n -> not (n.StartsWith "ema_"))) "EMA weights are not trained"
            Expect.isTrue (trainable |> List.exists (fun n -> n.StartsWith "simclr_head.")) "the heads are"
        }
        test "the state round-trips through safetensors; a missing or foreign state file is named" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 65L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let a, c = AClipObjective(AClipSettings()), AClipObjective(AClipSettings())
            a.Attach model
            torch.manual_seed 66L |> ignore
            c.Attach model |> ignore
            let dir = IO.Path.Combine(IO.Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            IO.Directory.CreateDirectory dir |> ignore
            let file = IO.Path.Combine(dir, "objective.safetensors")
            ModuleState.Save(a.State, file)
            let c2 = AClipObjective(AClipSettings())
            use model2 = new ClipModel(Presets.Load "tiny")
            c2.Attach model2
            ModuleState.Load(c2.State, file)
            for kv in a.State.state_dict() do
                Expect.sequenceEqual (values (c2.State.state_dict()[kv.Key])) (values kv.Value) $"{kv.Key} restored"
            let missing =
                try ModuleState.Load(c.State, IO.Path.Combine(dir, "none.safetensors")); ""
                with :? IO.FileNotFoundException as x -> x.Message
            Expect.stringContains missing "none.safetensors is missing" "missing file"
            let wide = AClipObjective(AClipSettings(HeadHiddenPerEmbed = 2.0))
            wide.Attach model
            let foreign = try ModuleState.Load(wide.State, file); "" with :? IO.InvalidDataException as x -> x.Message
            Expect.stringContains foreign "has shape" "a state of other widths"
        }
    ]
