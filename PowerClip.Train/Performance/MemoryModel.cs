using PowerClip.Model;

namespace PowerClip.Train.Performance;

/// <summary>One training configuration as the memory model sees it (per rank / per GPU).</summary>
/// <param name="Batch">local batch b (per rank)</param>
/// <param name="Ranks">K data-parallel ranks: the global batch is K·b</param>
/// <param name="Words">leaves per caption (one token each); phrase nodes ≈ words − 1 (root + phrases)</param>
public sealed record MemorySettings(ClipConfig Model, int Batch, string Objective = "powerclip", int Regions = 10,
                                    int Words = 10, Precision Precision = Precision.Fp32,
                                    bool GradCheckpointing = false, int Ranks = 1,
                                    Negatives Negatives = Negatives.Local, long ChunkElements = 1L << 22)
{
    public long GlobalBatch => (long)Batch * Ranks;
    public long Nodes => Math.Max(1, Words - 1);
    public bool PowerClip => Objective.StartsWith("powerclip", StringComparison.Ordinal);
}

/// <summary>
/// One line of the estimate: a part, its bytes, how it was counted, and whether it is live at the step's peak.
/// </summary>
public sealed record MemoryLine(string Part, double Bytes, string Detail, bool AtPeak = true);

/// <summary>
/// An analytic model of one training step's memory per rank, counted from what our code keeps (not an idealised
/// transformer): float32 parameters, gradients and AdamW's two moments; the tensors each transformer block saves
/// for its backward (listed in <see cref="BlockBytes"/>); the encoders' ends and outputs; the loss head (S̄ and the
/// chunked S1 working set of <see cref="ChunkedScores"/>); the features a data-parallel rank gathers. The peak of a
/// step is taken at the start of the backward: everything saved, plus the larger of the head's backward working set
/// and one block's gradient buffers (the head's backward runs first and is freed before the encoders' starts).
/// Checked against peak resident memory on the tiny and small presets (tests, docs/performance.md).
/// </summary>
public static class MemoryModel
{
    public static IReadOnlyList<MemoryLine> Estimate(MemorySettings s)
    {
        var cfg = s.Model;
        var p = Parameters(cfg);
        var lines = new List<MemoryLine>
        {
            new("parameters (float32 masters)", 4.0 * p, $"{p:N0} parameters × 4 B"),
            new("gradients (float32)", 4.0 * p, "one per parameter"),
            new("AdamW state", 8.0 * p, "exp_avg and exp_avg_sq, float32"),
        };
        if (s.Precision == Precision.Bf16)
        {
            var blockWeights = BlockWeights(cfg.Vision.Width, cfg.Vision.Layers, cfg.Vision.MlpRatio)
                               + BlockWeights(cfg.Text.Width, cfg.Text.Layers, cfg.Text.MlpRatio);
            lines.Add(new("bf16 weight copies", 2.0 * blockWeights,
                          "each block weight cast per use, kept for the backward"));
        }
        var pixels = 3.0 * cfg.Vision.ImageSize * cfg.Vision.ImageSize;
        lines.Add(new("inputs", s.Batch * (4.0 * pixels + 8.0 * cfg.Text.ContextLength),
                      "images float32, token ids int64"));
        double vs = cfg.Vision.PatchCount + 1, ts = cfg.Text.ContextLength;
        var working = new List<double>();   // per tower, per sample: one block's backward (and its recomputation)
        foreach (var (tower, seq, width, layers, heads, ratio) in new[]
                 {
                     ("vision", vs, (double)cfg.Vision.Width, cfg.Vision.Layers, cfg.Vision.Heads, cfg.Vision.MlpRatio),
                     ("text", ts, (double)cfg.Text.Width, cfg.Text.Layers, cfg.Text.Heads, cfg.Text.MlpRatio),
                 })
        {
            var block = BlockBytes(seq, width, heads, ratio, s.Precision);
            var kept = s.GradCheckpointing ? 4.0 * seq * width : block;
            lines.Add(new($"activations, {tower} tower ({layers} blocks)", s.Batch * layers * kept,
                s.GradCheckpointing ? $"checkpointed: each block keeps its input, {Mb(4.0 * seq * width)} per sample"
                                    : $"{Mb(block)} per sample per block"));
            working.Add(WorkingSet(seq, width, heads, ratio) + (s.GradCheckpointing ? block : 0));
        }
        var ends = 4.0 * (3 * vs * cfg.Vision.Width + 2 * ts * cfg.Text.Width) + 4.0 * cfg.EmbedDim * (vs + ts);
        lines.Add(new("encoder ends and outputs", s.Batch * ends,
            "LayerNorm inputs/outputs around the blocks, patch tokens and token features"));
        lines.AddRange(Head(s));
        lines.Add(new("backward working set, encoders", s.Batch * working.Max(),
            s.GradCheckpointing ? "one block's recomputed activations and gradient buffers"
                                : "one block's gradient buffers",
            AtPeak: false));
        return lines;
    }

    /// <summary>
    /// Peak of a step: everything live at the start of the backward plus the larger backward working set.
    /// </summary>
    public static double Peak(IReadOnlyList<MemoryLine> lines) =>
        lines.Where(l => l.AtPeak).Sum(l => l.Bytes)
        + lines.Where(l => !l.AtPeak).Select(l => l.Bytes).DefaultIfEmpty(0).Max();

    /// <summary>
    /// S1-sized tensors live at once while <see cref="ChunkedScores"/> scores one chunk: six are NlaBoth's passes (S1,
    /// |S1|, its scaling, clamp, exp, log1p, all held by the chunk's dispose scope); the rest is libtorch's (the
    /// einsum's and the reductions' buffers). Measured, not derived: on the tiny preset the peak of malloc's bytes in
    /// use exceeds what the step keeps for the backward by 121–127 MB at B = 384, 512 and 1024 — chunks of 2^22
    /// float32 entries (16.8 MB), i.e. 7.2–7.6 of them.
    /// </summary>
    public const double ForwardChunkTensors = 7.5;

    /// <summary>
    /// Bytes one block saves for its backward, per sample (S tokens of width W, h heads, MLP width H = ratio·W): the
    /// block input (ln_1), ln_1's output (in_proj), copies of q, k, v (the batched matmuls reshape permuted views),
    /// the softmax output (h·S²), the attention output before out_proj, the residual h (ln_2), ln_2's output (c_fc),
    /// c_fc's output (GELU) and GELU's output (c_proj). Under bf16 the products' operands are bf16 (2 B), the residual
    /// stream and LayerNorm inputs float32, and the attention keeps the float32 softmax and its bf16 copy (6 B per
    /// entry).
    /// </summary>
    public static double BlockBytes(double seq, double width, int heads, double ratio, Precision precision)
    {
        var hidden = Math.Round(width * ratio);
        var perToken = precision == Precision.Bf16
            ? 4 * width + 2 * width + 2 * 3 * width + 2 * width + 4 * width + 2 * width + 2 * hidden + 2 * hidden
            : 4 * (8 * width + 2 * hidden);
        var attention = (precision == Precision.Bf16 ? 6.0 : 4.0) * heads * seq * seq;
        return seq * perToken + attention;
    }

    /// <summary>
    /// One block's backward gradient buffers per sample (float32): four W-wide, and the larger of the MLP's two H-wide
    /// (freed before the attention's backward starts) and the attention's two h·S².
    /// </summary>
    private static double WorkingSet(double seq, double width, int heads, double ratio) =>
        4.0 * seq * 4 * width + Math.Max(4.0 * seq * 2 * Math.Round(width * ratio), 8.0 * heads * seq * seq);

    /// <summary>
    /// The loss head: what the objective keeps, its chunked working set, and the features a rank gathers.
    /// </summary>
    private static IEnumerable<MemoryLine> Head(MemorySettings s)
    {
        double e = s.Model.EmbedDim, b = s.Batch, bAll = s.GlobalBatch, m = s.Regions, t = s.Nodes, l = s.Words;
        var local = s.Ranks == 1 || s.Negatives == Negatives.Local;
        var rows = local ? b : bAll;                                     // image rows this rank scores
        yield return new("CLIP logits", 4.0 * 3 * 2 * rows * bAll,
                         $"{rows:N0} × {bAll:N0}, both directions, with softmax and gradient");
        if (!s.PowerClip) yield break;
        var n = (double)s.Model.Vision.PatchCount;
        yield return new("PowerCLIP features", 4.0 * (b * m * (n + 2 * e) + b * l * e + bAll * t * e),
                         "region masks, φ and ψ, node sums p");
        var s1 = rows * bAll * m * t;
        var chunk = Math.Min(s1, Math.Max(s.ChunkElements, bAll * m * t));
        yield return new("S̄ and its hinge masks", 4.0 * 3 * rows * bAll, $"{rows:N0} × {bAll:N0}");
        yield return new("S1 chunks, forward", 4.0 * ForwardChunkTensors * chunk,
            $"S1 = {s1:N0} entries per step in chunks of {chunk:N0}; {ForwardChunkTensors} S1-sized tensors per chunk",
            AtPeak: false);
        var pairs = Math.Min(3 * rows, Math.Max(1, s.ChunkElements / Math.Max(m * t, (m + t) * e)));
        var backward = 4.0 * (4 * pairs * (m + t) * e + 12 * pairs * m * t) + 4.0 * (rows * m * e + bAll * t * e);
        yield return new("S1 chunks, backward", backward,
            $"{pairs:N0} of ≤ 3·{rows:N0} active pairs per chunk, recomputed with autograd; gradients of φ and p",
            AtPeak: false);
        if (s.Ranks > 1)
            yield return new($"gathered features ({(local ? "local" : "global")} negatives)",
                local ? 4.0 * 2 * (2 * bAll * e + bAll * t * e) + bAll * t
                      : 4.0 * (2 * bAll * e + bAll * m * e + bAll * l * e + bAll * l * t) + bAll * (l + t),
                local ? "embeddings and node sums of all ranks, with their gradients"
                      : "embeddings, φ, ψ and tree tensors of all ranks");
    }

    /// <summary>The model's parameter count, from its configuration (the same as ClipModel.parameters()).</summary>
    public static long Parameters(ClipConfig c)
    {
        var v = c.Vision; var t = c.Text;
        long vision = 3L * v.PatchSize * v.PatchSize * v.Width + v.Width + (v.PatchCount + 1L) * v.Width + 4L * v.Width
                      + Blocks(v.Width, v.Layers, v.MlpRatio) + (long)v.Width * c.EmbedDim;
        long text = (long)t.VocabSize * t.Width + (long)t.ContextLength * t.Width + 2L * t.Width
                    + Blocks(t.Width, t.Layers, t.MlpRatio) + (long)t.Width * c.EmbedDim;
        return vision + text + 1;
    }

    private static long Blocks(int w, int layers, double ratio)
    {
        long h = (long)Math.Round(w * ratio);
        return layers * (BlockWeightsOne(w, ratio) + 3L * w + w + 4L * w + h + w);
    }

    private static double BlockWeights(int w, int layers, double ratio) => layers * (double)BlockWeightsOne(w, ratio);

    private static long BlockWeightsOne(int w, double ratio) => 4L * w * w + 2L * w * (long)Math.Round(w * ratio);

    public static string Mb(double bytes) => bytes >= 1e9 ? $"{bytes / 1e9:F2} GB" : $"{bytes / 1e6:F1} MB";
}
