using PowerClip.Model;
using PowerClip.Data;
using PowerClip.Train.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// Collates prepared samples into the tensors one step needs (design.md's Batch): images [B,3,H,W],
/// tokens [B,S], region masks [B,M,N] (given masks padded with random boxes, or random boxes) and the
/// caption trees as a <see cref="PhraseBatch"/>.
/// </summary>
public sealed record TrainingBatch(Tensor Images, Tensor Tokens, Tensor? RegionMasks,
    PhraseBatch? Phrases) : IDisposable
{
    /// <summary>Rows whose regions include a given mask, and the given masks among all rows' M regions.</summary>
    public int GivenMaskRows { get; init; }
    public int GivenRegions { get; init; }

    public static TrainingBatch Collate(IReadOnlyList<DataSample> samples, ModelInputs inputs, RegionSpec? regions,
        bool phrases, Device device)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        var keys = samples.Select(s => s.Key).ToArray();
        var images = inputs.ImageBatch(samples.Select(s => s.Pixels).ToArray(), device, keys);
        var tokenTensor = inputs.TokenBatch(samples.Select(s => s.Text.Tokens).ToArray(), device, keys);
        Tensor? masks = null;
        var (givenRows, givenRegions) = (0, 0);
        if (regions is not null)
        {
            var grid = inputs.GridSize;
            // One sampler per row, seeded by the row's place in the global batch: a rank that holds rows
            // RowOffset… of a data-parallel batch draws what one process holding all rows would draw.
            var perImage = samples.Select((s, b) =>
            {
                var seed = regions.RowSeed(b);
                if (regions.Source != "masks") return new RandomBoxSampler(grid, seed).SampleCsr(1, regions.Count)[0];
                var given = ToCsr(s, grid);
                given.Validate(b, grid);
                if (given.Count > 0)
                    (givenRows, givenRegions) = (givenRows + 1, givenRegions + Math.Min(given.Count, regions.Count));
                return new GivenMaskSampler(grid, seed).SampleCsr([given], regions.Count)[0];
            }).ToArray();
            masks = global::PowerClip.Model.RegionMasks.Dense(perImage, grid, device: device);
        }
        var trees = phrases ? inputs.PhraseBatch(samples.Select(s => s.Text).ToArray(), device) : null;
        return new TrainingBatch(images, tokenTensor, masks, trees)
            { GivenMaskRows = givenRows, GivenRegions = givenRegions };
    }

    private static CsrMasks ToCsr(DataSample s, int grid)
    {
        if (s.Regions is null) return CsrMasks.FromLists([]);
        var r = s.Regions.GridSize == grid ? s.Regions : s.Regions.Resample(grid);
        return CsrMasks.FromLists(r.Patches.Where(p => p.Length > 0).Select(p => (IReadOnlyCollection<int>)p)
            .ToArray());
    }

    public void Dispose()
    {
        Images.Dispose();
        Tokens.Dispose();
        RegionMasks?.Dispose();
        Phrases?.Dispose();
    }
}

/// <summary>
/// How a batch gets its M regions: "masks" (given, padded with boxes) or "boxes"; seeded per step, and per
/// row by its index in the global batch (<paramref name="RowOffset"/>: this batch's first row there).
/// </summary>
public sealed record RegionSpec(string Source, int Count, int Seed, int RowOffset = 0)
{
    public int RowSeed(int row) => Seeds.RegionRow(Seed, RowOffset + row);
}
