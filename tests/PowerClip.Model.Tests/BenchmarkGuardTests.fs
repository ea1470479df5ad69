/// Runs every BenchmarkDotNet benchmark of bench/PowerClip.Benchmarks once and checks what it returns, so the
/// micro-benchmarks cannot silently time the wrong thing (alternatives that must agree do agree).
module PowerClip.Model.Tests.BenchmarkGuardTests

open System
open Expecto
open TorchSharp
open PowerClip.Benchmarks

let private relClose (what: string) (tol: float) (a: float) (b: float) : unit =
    Expect.isTrue (Double.IsFinite a && Double.IsFinite b) $"{what}: finite ({a}, {b})"
    Expect.isLessThanOrEqual (abs (a - b)) (tol * max (abs a) (abs b)) $"{what}: {a} vs {b} within {tol} relative"

/// Runs f on a benchmark instance between its GlobalSetup and GlobalCleanup.
let private withBench (bench: 'b) (setup: 'b -> unit) (cleanup: 'b -> unit) (f: 'b -> 'r) : 'r =
    setup bench
    try f bench finally cleanup bench

[<Tests>]
let tests =
    testList "benchmark guard" [
        test "head forward: NlaBoth equals NlaT1 + NlaT2, and the exact class's NlaBoth is the same computation" {
            let b = HeadForwardBenchmarks(Batch = 64, Threads = 1)
            let separate, both =
                withBench b (fun b -> b.Setup()) (fun b -> b.Cleanup()) (fun b -> b.NlaT1PlusT2(), b.NlaBoth())
            relClose "Σ S̄, shared vs separate passes" 1e-5 both separate
            let e = HeadExactBenchmarks(Batch = 64, Threads = 1)
            let nla, exact =
                withBench e (fun b -> b.Setup()) (fun b -> b.Cleanup()) (fun b -> b.NlaBoth(), b.ExactR2TPlusT2R())
            relClose "NlaBoth in both classes" 1e-6 nla both
            Expect.isTrue (Double.IsFinite exact) $"exact Σ S̄ is finite ({exact})"
            Expect.notEqual exact nla "the exact benchmark computes something other than the NLAs"
        }

        test "head backward: the loss is positive and its gradients are not zero" {
            let b = HeadBackwardBenchmarks(Batch = 64, Threads = 1)
            let fwd, fwdBwd =
                withBench b (fun b -> b.Setup()) (fun b -> b.Cleanup()) (fun b -> b.Forward(), b.ForwardBackward())
            Expect.isTrue (Double.IsFinite fwd && fwd > 0.0) $"triplet loss > 0 ({fwd})"
            // ForwardBackward returns loss + Σ|∂L/∂φ| + Σ|∂L/∂ψ|.
            Expect.isGreaterThan (fwdBwd - fwd) 1e-6 "gradients to φ and ψ are not all zero"
        }

        test "AdamW: TorchSharp's step and both hand-written steps give the same parameters" {
            let after (step: AdamWBenchmarks -> unit) : torch.Tensor[] =
                withBench (AdamWBenchmarks(Threads = 1)) (fun b -> b.Setup()) (fun b -> b.Cleanup()) (fun b ->
                    step b
                    b.Parameters |> Seq.map (fun p -> p.detach().clone()) |> Array.ofSeq)
            let initial = after ignore
            let reference = after (fun b -> b.TorchSharpAdamW())
            for name, step in [ "HandInPlace", (fun (b: AdamWBenchmarks) -> b.HandInPlace())
                                "HandNoAlloc", (fun (b: AdamWBenchmarks) -> b.HandNoAlloc()) ] do
                let hand = after step
                Expect.equal hand.Length reference.Length "same parameter count"
                for k in 0 .. reference.Length - 1 do
                    let scale = reference[k].abs().max().item<float32>() |> float
                    let diff = (hand[k] - reference[k]).abs().max().item<float32>() |> float
                    Expect.isLessThanOrEqual diff (1e-6 * scale) $"{name}, parameter {k}: max |Δ| {diff} vs \
                        scale {scale}"
            let moved =
                Array.map2 (fun (a: torch.Tensor) (b: torch.Tensor) -> (a - b).abs().max().item<float32>())
                           reference initial
                |> Array.max
            Expect.isGreaterThan moved 0.0f "the step changed the parameters"
            for t in Array.concat [ initial; reference ] do t.Dispose()
        }

        test "spec: exact T2R ≤ NLA-T1 ≤ exact T2R + M·τ·log 2; R2T values finite" {
            for m in [ 10; 16 ] do
                let b = SpecBenchmarks(M = m)
                b.Setup()
                let exactT2R, t1 = b.ExactT2R(), b.NlaT1()
                Expect.isLessThanOrEqual exactT2R t1 $"M = {m}: Q← ≤ NLA-T1 (softplus ≥ relu)"
                Expect.isLessThanOrEqual (t1 - exactT2R) (float m * BenchData.Tau * log 2.0 + 1e-12)
                    $"M = {m}: NLA-T1 − Q← ≤ M·τ·log 2"
                Expect.isTrue (Double.IsFinite (b.ExactR2T()) && Double.IsFinite (b.NlaT2()))
                    $"M = {m}: R2T values finite"
        }

        test "masks: the strings cover the image 32 times; the masks hold patches; the pixels do not depend on them" {
            let b = MaskBenchmarks()
            b.Setup()
            Expect.equal (b.DecodeRle()) (32L * 512L * 384L) "each mask's runs sum to h×w"
            let held = b.ProjectMasks()
            Expect.isTrue (held > 0 && held <= 32 * 196) $"patches held: {held}"
            // PrepareWithMasks returns pixel 0 + the region count: the same pixel 0 plus a whole number of regions.
            let regions = b.PrepareWithMasks() - b.PreparePixels()
            Expect.equal regions (round regions) "the masks do not change the pixels"
            Expect.isTrue (regions >= 1.0 && regions <= 32.0) $"regions that survive the crop: {regions}"
        }

        test "pooling and S1: finite, non-zero results at both presets' shapes" {
            for preset in [ "tiny"; "small" ] do
                let b = PoolingBenchmarks(Preset = preset, Batch = 64, Threads = 1)
                let phi, s1 =
                    withBench b (fun b -> b.Setup()) (fun b -> b.Cleanup())
                        (fun b -> b.RegionPoolingPhi(), b.S1Einsum())
                Expect.isTrue (Double.IsFinite phi && phi <> 0.0) $"{preset}: Σ φ = {phi}"
                Expect.isTrue (Double.IsFinite s1 && s1 <> 0.0) $"{preset}: Σ S1 = {s1}"
        }
    ]
