/// A small two-tower model with CLIP's and PowerCLIP's batch-coupled losses, written against the
/// distributed context: every rank gathers the features of the whole global batch and evaluates the
/// global loss, with gradient only through its own rows (IDistributedContext explains why the sum
/// of the ranks' gradients is then the exact global gradient).
module PowerClip.Distributed.Tests.TwoTower

open System
open System.Diagnostics
open System.IO
open TorchSharp
open TorchSharp.Modules
open PowerClip.Model
open PowerClip.Train.Training
open PowerClip.Train.Training.Distributed

type Size =
    { ImageIn: int64; TextIn: int64; Hidden: int64; Dim: int64
      /// M regions per image (φ) and L phrases per caption (ψ).
      Regions: int64; Phrases: int64 }

let tiny = { ImageIn = 8L; TextIn = 6L; Hidden = 16L; Dim = 4L; Regions = 3L; Phrases = 2L }

/// Image tower → M region embeddings φ[b,M,D]; text tower → L phrase embeddings ψ[b,L,D]; τ as CLIP's learnable log
/// scale.
type TwoTowerModel(size: Size, dtype: torch.ScalarType) as this =
    inherit torch.nn.Module("two_tower")
    let image = torch.nn.Sequential(torch.nn.Linear(size.ImageIn, size.Hidden, dtype = dtype), torch.nn.Tanh(),
                              torch.nn.Linear(size.Hidden, size.Regions * size.Dim, dtype = dtype))
    let text = torch.nn.Sequential(torch.nn.Linear(size.TextIn, size.Hidden, dtype = dtype), torch.nn.Tanh(),
                             torch.nn.Linear(size.Hidden, size.Dim, dtype = dtype))
    let logitScale = torch.nn.Parameter(torch.tensor(Math.Log(1.0 / 0.07), dtype = dtype))
    do
        this.register_module("image", image)
        this.register_module("text", text)
        this.register_parameter("logit_scale", logitScale)
    member _.Regions(x: torch.Tensor) : torch.Tensor = image.forward(x).reshape(x.shape[0], size.Regions, size.Dim)
    member _.Phrases(x: torch.Tensor) : torch.Tensor = text.forward x
    member _.LogitScale : torch.Tensor = logitScale

type LossKind =
    | Clip
    /// CLIP + λ·hardest-negative triplet on S̄[Bi,Bj] = mean_m ζ·LSE_l(⟨φ_im, ψ_jl⟩/ζ): the structure of
    /// PowerCLIP's batch-coupled term (pair scores over the global batch, hardest negative per row and
    /// column), plus a small per-sample activity penalty that goes through SumAcrossRanks.
    | PowerClipLike

let private normalize (x: torch.Tensor) = torch.nn.functional.normalize(x, p = 2.0, dim = -1L)

/// Symmetric InfoNCE over the gathered global batch.
let clipLoss (image: torch.Tensor) (text: torch.Tensor) (logitScale: torch.Tensor) : torch.Tensor =
    let logits = logitScale.exp() * image.matmul(text.t())
    let labels = torch.arange(logits.shape[0], dtype = torch.int64)
    (torch.nn.functional.cross_entropy(logits, labels) + torch.nn.functional.cross_entropy(logits.t(), labels)) / 2.0

/// Hinge with the hardest negative over the whole batch, both directions (δ the margin).
let tripletLoss (s: torch.Tensor) (delta: float) : torch.Tensor =
    let n = s.shape[0]
    let negatives = s.masked_fill(torch.eye(n, dtype = torch.ScalarType.Bool), Double.NegativeInfinity)
    let struct (hardestText, _) = negatives.max(1L)
    let struct (hardestImage, _) = negatives.max(0L)
    let positive = s.diagonal()
    (torch.nn.functional.relu(delta - positive + hardestText)
     + torch.nn.functional.relu(delta - positive + hardestImage)).mean()

/// S̄[Bi,Bj] from φ[B,M,D], ψ[B,L,D]: S0[Bi,Bj,M,L] → ζ·LSE over phrases → mean over regions.
let pairScores (phi: torch.Tensor) (psi: torch.Tensor) (zeta: float) : torch.Tensor =
    let s0 = torch.einsum("imd,jld->ijml", phi, psi)
    ((s0 / zeta).logsumexp(3L) * zeta).mean([| 2L |])

type Failure =
    | Throw
    | Kill
    /// The loss stays finite, this rank's gradient of the logit scale becomes NaN (or +∞).
    | NanGradient
    | InfGradient

/// Injected failure: on rank Rank, at 0-based step Step, throw a data error, kill the process or poison a gradient.
type FailurePlan = { Rank: int; Step: int; Kind: Failure; StampFile: string }

/// A task whose global batch of perRank·K samples is drawn from torch's generator (reseeded by the
/// trainer from (seed, step) identically on every rank); rank r trains on rows r·perRank … .
type ContrastiveTask(model: TwoTowerModel, size: Size, perRank: int, kind: LossKind, dtype: torch.ScalarType,
                     failure: FailurePlan option) =
    let mutable context: IDistributedContext = SingleProcessContext.Instance
    member _.Model = model

    interface ITrainable with
        member _.Module = model :> torch.nn.Module
        member _.MicroBatchSize = perRank
        member _.Loss(step, _micro, metrics) =
            let globalBatch = int64 (perRank * context.Size)
            let images = torch.randn([| globalBatch; size.ImageIn |], dtype = dtype)
            let phrases = torch.randn([| globalBatch; size.Phrases; size.TextIn |], dtype = dtype)
            let mine (t: torch.Tensor) = t.narrow(0L, int64 (perRank * context.Rank), int64 perRank)
            let poisoned = failure |> Option.filter (fun f -> f.Rank = context.Rank && f.Step = step)
            match poisoned with
            | Some f when f.Kind = Throw || f.Kind = Kill ->
                File.WriteAllText(f.StampFile, string DateTime.UtcNow.Ticks)
                match f.Kind with
                | Throw -> raise (InvalidDataException $"shard record {step * perRank} is corrupt (injected)")
                | _ -> Process.GetCurrentProcess().Kill()
            | _ -> ()
            let regions = model.Regions(mine images)
            let phi = context.AllGather(normalize regions)
            let psi = context.AllGather(normalize (model.Phrases(mine phrases)))
            let clip =
                clipLoss (normalize (phi.mean([| 1L |]))) (normalize (psi.mean([| 1L |])))
                    (context.Replicated model.LogitScale)
            let whole =
                match kind with
                | Clip -> clip
                | PowerClipLike ->
                    let triplet = tripletLoss (pairScores phi psi 0.1) 0.2
                    metrics["triplet"] <- triplet.ToDouble()
                    // A per-sample term (mean squared region norm over the global batch): summed across
                    // ranks with gradient through this rank's samples only.
                    let activity = context.SumAcrossRanks((regions * regions).sum()) / float globalBatch
                    clip + 0.5 * triplet + 1e-3 * activity
            // The trainer sums the ranks' losses: each returns its share of the whole loss it computed.
            let loss = context.ShareOfReplicated whole
            // t is 0 with gradient 1: √t adds 0 to the loss and +∞ to the gradient; √|t| adds 0 and 0·∞ = NaN.
            let t = model.LogitScale - model.LogitScale.detach()
            match poisoned with
            | Some { Kind = NanGradient } -> loss + t.abs().sqrt()
            | Some { Kind = InfGradient } -> loss + t.sqrt()
            | _ -> loss
        member _.AfterOptimizerStep() = ()

    interface IDistributedTrainable with
        member _.Attach c = context <- c
