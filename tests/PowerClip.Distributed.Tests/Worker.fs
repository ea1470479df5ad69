/// The rank side: `PowerClip.Distributed.Tests worker SCENARIO --key value …`, launched by
/// `mpiexec -n K` (with --distributed mpi) or run as one plain process (--distributed none).
module PowerClip.Distributed.Tests.Worker

open System
open System.Diagnostics
open System.IO
open TorchSharp
open PowerClip.Train.Training
open PowerClip.Train.Training.Distributed
open PowerClip.Distributed.Tests.TwoTower

type RunConfig =
    { Loss: LossKind; Dtype: torch.ScalarType; PerRank: int; Steps: int; CheckpointEvery: int
      Run: string; Resume: bool; Failure: FailurePlan option; Size: Size }

let defaultRun (run: string) : RunConfig =
    { Loss = Clip; Dtype = torch.float64; PerRank = 4; Steps = 1; CheckpointEvery = 100
      Run = run; Resume = false; Failure = None; Size = tiny }

/// AdamW with an active gradient clip (0.05): clipping before the all-reduce would change the result.
let options (c: RunConfig) : TrainerOptions =
    TrainerOptions(Steps = c.Steps, WarmupSteps = 0, Lr = 1e-2, GradClip = 0.05, Seed = 11,
                   CheckpointEvery = c.CheckpointEvery)

/// Trains and returns the final parameters and last gradients. Each rank initialises differently
/// (seed 1000 + rank), so agreement with a one-process run needs the broadcast from rank 0.
let train (context: IDistributedContext) (c: RunConfig) : Snapshot.Entry list =
    torch.manual_seed(int64 (1000 + context.Rank)) |> ignore
    let model = new TwoTowerModel(c.Size, c.Dtype)
    let task = ContrastiveTask(model, c.Size, c.PerRank, c.Loss, c.Dtype, c.Failure)
    use trainer = new Trainer(task, options c, c.Run, context)
    if c.Resume then trainer.Resume(trainer.Checkpoints.Resolve "latest")
    trainer.Run(TimeSpan.FromHours 1.0)
    Snapshot.take model

let private parse (argv: string list) : Map<string, string> =
    let rec go acc = function
        | (key: string) :: value :: rest when key.StartsWith "--" && not (value.StartsWith "--") ->
            go (Map.add (key.Substring 2) value acc) rest
        | (key: string) :: rest when key.StartsWith "--" -> go (Map.add (key.Substring 2) "true" acc) rest
        | [] -> acc
        | other :: _ -> failwithf "worker: unexpected argument %s" other
    go Map.empty argv

let private get (a: Map<string, string>) (key: string) (fallback: string) : string =
    defaultArg (Map.tryFind key a) fallback

let parseLoss (s: string) : LossKind =
    match s with
    | "clip" -> Clip
    | "powerclip" -> PowerClipLike
    | other -> failwithf "unknown loss %s" other

let parseDtype (s: string) : torch.ScalarType =
    match s with
    | "f64" -> torch.float64
    | "f32" -> torch.float32
    | other -> failwithf "unknown dtype %s" other

let private config (a: Map<string, string>) : RunConfig =
    let hidden = int64 (get a "hidden" "16")
    { Loss = parseLoss (get a "loss" "clip"); Dtype = parseDtype (get a "dtype" "f64")
      PerRank = int (get a "per-rank" "4"); Steps = int (get a "steps" "1")
      CheckpointEvery = int (get a "checkpoint-every" "100")
      Run = get a "run" ""; Resume = a.ContainsKey "resume"
      Failure =
        match Map.tryFind "fail-rank" a with
        | None -> None
        | Some r ->
            Some { Rank = int r; Step = int (get a "fail-step" "0")
                   Kind =
                       match get a "fail-kind" "throw" with
                       | "kill" -> Kill
                       | "nan-grad" -> NanGradient
                       | "inf-grad" -> InfGradient
                       | _ -> Throw
                   StampFile = get a "stamp" "failed-at.txt" }
      Size = { tiny with Hidden = hidden; Dim = int64 (get a "dim" (string tiny.Dim)) } }

let private median (xs: float seq) : float =
    let s = Seq.sort xs |> Seq.toArray
    if s.Length = 0 then nan else (s[(s.Length - 1) / 2] + s[s.Length / 2]) / 2.0

/// train: one run; rank 0 writes --out. exact: --cases loss:dtype,… each into --out/<loss>-<dtype>.bin.
/// bench: samples/s (median over steps after 2 warm-up steps). allreduce: time per all-reduce of P float32 values.
let run (context: IDistributedContext) (argv: string list) : int =
    let scenario, a = List.head argv, parse (List.tail argv)
    torch.set_num_threads(int (get a "threads" "1"))
    match scenario with
    | "train" ->
        let result = train context (config a)
        // --each-rank: every rank saves its own parameters (OUT.rank1, … beside rank 0's OUT).
        if context.IsMain then Snapshot.save (get a "out" "") result
        elif a.ContainsKey "each-rank" then Snapshot.save ((get a "out" "") + $".rank{context.Rank}") result
        0
    | "exact" ->
        let outDir = get a "out" ""
        for case in (get a "cases" "clip:f64").Split ',' do
            let c = { config a with Loss = parseLoss (case.Split ':').[0]; Dtype = parseDtype (case.Split ':').[1]
                                    Run = Path.Combine(outDir, case.Replace(':', '-')) }
            let result = train context c
            if context.IsMain then Snapshot.save (Path.Combine(outDir, case.Replace(':', '-') + ".bin")) result
        0
    | "clip-exact" ->
        // --cases clip,powerclip,… --negatives local|global: the real tiny model, each case into --out/clip-<loss>.bin.
        let outDir = get a "out" ""
        let negatives = PowerClip.Model.LossSettingNames.Negatives.Parse(get a "negatives" "local")
        for loss in (get a "cases" "clip").Split ',' do
            let c = ClipRun.config loss negatives (int (get a "per-rank" "4"))
            let result = ClipRun.train (Some context) c (1000 + context.Rank) (Path.Combine(outDir, "clip-" + loss))
            if context.IsMain then Snapshot.save (Path.Combine(outDir, "clip-" + loss + ".bin")) result
        0
    | "bench" ->
        let c = config a
        train context c |> ignore
        if context.IsMain then
            let lines = MetricsLog.Read(RunFolder(c.Run).Metrics) |> Seq.skip 2 |> Seq.toList
            let field (name: string) =
                lines
                |> Seq.choose (fun l -> match l.TryGetProperty name with | true, v -> Some(v.GetDouble()) | _ -> None)
            printfn "bench ranks=%d threads=%s per-rank=%d hidden=%d loss=%s samples/s median=%.1f comm_ms \
                median=%.3f steps=%d"
                context.Size (get a "threads" "1") c.PerRank c.Size.Hidden (get a "loss" "clip")
                    (median (field "samples_per_s"))
                (1000.0 * median (field "comm_s")) (List.length lines)
        0
    | "allreduce" ->
        let reps = int (get a "reps" "10")
        for p in (get a "sizes" "10000").Split ',' |> Array.map (float >> int64) do
            use t = torch.ones([| p |], dtype = torch.float32)
            context.AllReduceSum([| t |]) // warm-up
            let times =
                [ for _ in 1 .. reps ->
                    let clock = Stopwatch.StartNew()
                    context.AllReduceSum([| t |])
                    clock.Elapsed.TotalMilliseconds ]
            if context.IsMain then
                let ms = median times
                printfn "allreduce ranks=%d params=%d MB=%.2f median_ms=%.3f MB/s=%.0f" context.Size p
                    (float p * 4.0 / 1e6) ms (float p * 4.0 / 1e6 / (ms / 1000.0))
        0
    | "head" ->
        // The loss head alone (docs/performance.md): a global batch of --global pairs split over the ranks, random
        // features at the tiny preset's grid (7 × 7 patches) with E = --dim, M = 10, 10-word captions; time of the
        // objective's forward + backward (median of --reps after one warm-up) and the peak growth of malloc's bytes
        // in use, per rank; rank 0 prints the largest over ranks.
        let total, reps, e = int (get a "global" "512"), int (get a "reps" "5"), int64 (get a "dim" "64")
        let b = total / context.Size
        let negatives = PowerClip.Model.LossSettingNames.Negatives.Parse(get a "negatives" "local")
        let loss = get a "loss" "powerclip"
        let objective = PowerClip.Model.Objectives.Create(loss,
                                                          PowerClip.Model.ObjectiveSettings(Negatives = negatives))
        let words, regions, seqLen = 10, 10, 16L
        let trees = PowerClip.Model.SyntheticBatch.RandomTrees(Random(context.Rank + 1), b, words)
        use phrases = PowerClip.Model.PhraseBatch.Build(trees, int seqLen)
        use masks = PowerClip.Model.RandomBoxSampler(7, context.Rank + 1).Sample(b, regions)
        use tokenMask = torch.arange(seqLen).lt(torch.tensor(int64 (words + 2))).unsqueeze(0).expand(int64 b,
                                                                                                     -1L).contiguous()
        torch.manual_seed(int64 (1 + context.Rank)) |> ignore
        let leaf (shape: int64[]) = torch.randn(shape).requires_grad_(true)
        use patches = leaf [| int64 b; 49L; e |]
        use tokens = leaf [| int64 b; seqLen; e |]
        use image = leaf [| int64 b; e |]
        use text = leaf [| int64 b; e |]
        use scale = torch.tensor(14.285714).requires_grad_(true)
        let once () =
            use scope = torch.NewDisposeScope()
            let clock = Stopwatch.StartNew()
            let o = PowerClip.Model.ClipOutputs(torch.nn.functional.normalize(image, dim = -1L),
                                                torch.nn.functional.normalize(text, dim = -1L),
                                                scale, patches, tokens, tokenMask)
            let l = objective.Compute(PowerClip.Model.ObjectiveInputs(o, masks, phrases, context)).Total
            l.backward()
            clock.Elapsed.TotalMilliseconds
        once () |> ignore
        let ms = median [ for _ in 1 .. reps -> once () ]
        let peak = PowerClip.Train.Performance.MemoryProbe.PeakInUse(fun () -> once () |> ignore)
        let times, peaks = context.AllGather ms, context.AllGather peak
        if context.IsMain then
            printfn "head loss=%s negatives=%s ranks=%d global=%d per-rank=%d dim=%d ms_per_rank_max=%.1f \
                ms_per_rank=[%s] peak_MB_per_rank_max=%.1f"
                loss (get a "negatives" "local") context.Size total b e (Array.max times)
                    (times |> Array.map (sprintf "%.1f") |> String.concat ",")
                (Array.max peaks / 1e6)
        0
    | "gather-with-grad" ->
        // Rank r holds r + 2 rows x_r; every rank's loss is Σ (gathered ⊙ c_rank). The gather's backward must
        // give x_r the sum over ranks of the c_k rows that x_r occupies; rank 0 writes the largest error.
        let rows r = int64 (r + 2)
        let matrix (n: int64) (value: int -> float) : torch.Tensor =
            torch.tensor(Array.init (int n * 3) value, dtype = torch.float64).reshape(n, 3L)
        let x = (matrix (rows context.Rank) (fun i -> float i + 0.5)).requires_grad_(true)
        let total = Seq.sum [ for r in 0 .. context.Size - 1 -> rows r ]
        let c (k: int) = matrix total (fun i -> float (i * (k + 1)))
        let gathered = context.AllGatherWithGrad x
        (gathered * c context.Rank).sum().backward()
        let start = Seq.sum [ for r in 0 .. context.Rank - 1 -> rows r ]
        let expected = (Seq.reduce (+) [ for k in 0 .. context.Size - 1 -> c k ]).narrow(0L, start, rows context.Rank)
        let error : float = ((nonNull x.grad) - expected).abs().max().ToDouble()
        let errors = context.AllGather error
        if context.IsMain then File.WriteAllText(get a "out" "",
                                                 string (Array.max errors) + " " + string gathered.shape[0])
        0
    | other -> failwithf "unknown worker scenario %s" other
