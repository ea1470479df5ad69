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
    TrainerOptions(Steps = c.Steps, WarmupSteps = 0, Lr = 1e-2, GradClip = 0.05, Seed = 11, CheckpointEvery = c.CheckpointEvery)

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
        | (key: string) :: value :: rest when key.StartsWith "--" && not (value.StartsWith "--") -> go (Map.add (key.Substring 2) value acc) rest
        | (key: string) :: rest when key.StartsWith "--" -> go (Map.add (key.Substring 2) "true" acc) rest
        | [] -> acc
        | other :: _ -> failwithf "worker: unexpected argument %s" other
    go Map.empty argv

let private get (a: Map<string, string>) (key: string) (fallback: string) : string = defaultArg (Map.tryFind key a) fallback

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
      PerRank = int (get a "per-rank" "4"); Steps = int (get a "steps" "1"); CheckpointEvery = int (get a "checkpoint-every" "100")
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
        // --cases clip,powerclip,…: the real tiny model, each case into --out/clip-<loss>.bin.
        let outDir = get a "out" ""
        for loss in (get a "cases" "clip").Split ',' do
            let c = ClipRun.config loss (int (get a "per-rank" "4"))
            let result = ClipRun.train (Some context) c (1000 + context.Rank) (Path.Combine(outDir, "clip-" + loss))
            if context.IsMain then Snapshot.save (Path.Combine(outDir, "clip-" + loss + ".bin")) result
        0
    | "bench" ->
        let c = config a
        train context c |> ignore
        if context.IsMain then
            let lines = MetricsLog.Read(RunFolder(c.Run).Metrics) |> Seq.skip 2 |> Seq.toList
            let field (name: string) = lines |> Seq.choose (fun l -> match l.TryGetProperty name with | true, v -> Some(v.GetDouble()) | _ -> None)
            printfn "bench ranks=%d threads=%s per-rank=%d hidden=%d loss=%s samples/s median=%.1f comm_ms median=%.3f steps=%d"
                context.Size (get a "threads" "1") c.PerRank c.Size.Hidden (get a "loss" "clip") (median (field "samples_per_s"))
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
                printfn "allreduce ranks=%d params=%d MB=%.2f median_ms=%.3f MB/s=%.0f" context.Size p (float p * 4.0 / 1e6) ms (float p * 4.0 / 1e6 / (ms / 1000.0))
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
        if context.IsMain then File.WriteAllText(get a "out" "", string (Array.max errors) + " " + string gathered.shape[0])
        0
    | other -> failwithf "unknown worker scenario %s" other
