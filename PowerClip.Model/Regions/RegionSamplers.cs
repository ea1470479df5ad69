using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// PowerCLIP-R: M random boxes per image on the patch grid; box width and height uniform in
/// [1, grid], centre uniform over the grid cells, clipped to the grid. Seeded for reproducibility.
/// </summary>
public sealed class RandomBoxSampler(int gridSize, int seed)
{
    private readonly Random rng = new(seed);

    public int GridSize { get; } = gridSize > 0 ? gridSize : throw new ArgumentOutOfRangeException(nameof(gridSize),
        $"grid size must be > 0, got {gridSize}");

    /// <summary>One box as the row-major patch indices it covers (never empty).</summary>
    public int[] Box()
    {
        var g = GridSize;
        int w = rng.Next(1, g + 1), h = rng.Next(1, g + 1), cx = rng.Next(g), cy = rng.Next(g);
        int x0 = Math.Max(0, cx - w / 2), x1 = Math.Min(g, cx - w / 2 + w), y0 = Math.Max(0, cy - h / 2),
            y1 = Math.Min(g, cy - h / 2 + h);
        var cells = new int[(x1 - x0) * (y1 - y0)];
        var k = 0;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++) cells[k++] = y * g + x;
        return cells;
    }

    /// <summary>M boxes for each of B images, in CSR form.</summary>
    public CsrMasks[] SampleCsr(int batch, int m) =>
        Enumerable.Range(0, batch).Select(_ => CsrMasks.FromLists(Enumerable.Range(0, m).Select(_ => Box()).ToArray()))
            .ToArray();

    /// <summary>M boxes for each of B images as a dense [B, M, N] 0/1 tensor.</summary>
    public Tensor Sample(int batch, int m, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        RegionMasks.Dense(SampleCsr(batch, m), GridSize, dtype, device);
}

/// <summary>
/// PowerCLIP-S: masks that come with the data (e.g. SAM, stored as CSR per image). Each step draws M
/// of an image's masks uniformly without replacement; an image with fewer than M masks is padded with
/// random boxes ([reconstructed]: the paper does not say how it pads).
/// </summary>
public sealed class GivenMaskSampler(int gridSize, int seed)
{
    private readonly Random rng = new(seed);
    private readonly RandomBoxSampler boxes = new(gridSize, seed ^ 0x5eed);

    public CsrMasks[] SampleCsr(IReadOnlyList<CsrMasks> perImage, int m)
    {
        if (m <= 0) throw new ArgumentOutOfRangeException(nameof(m), $"M must be > 0, got {m}");
        var result = new CsrMasks[perImage.Count];
        for (var b = 0; b < perImage.Count; b++)
        {
            perImage[b].Validate(b, gridSize);
            var order = Enumerable.Range(0, perImage[b].Count).ToArray();
            rng.Shuffle(order);
            var chosen = order.Take(m).Select(r => (IReadOnlyCollection<int>)perImage[b].Mask(r).ToArray()).ToList();
            while (chosen.Count < m) chosen.Add(boxes.Box());
            result[b] = CsrMasks.FromLists(chosen);
        }
        return result;
    }

    public Tensor Sample(IReadOnlyList<CsrMasks> perImage, int m, ScalarType dtype = ScalarType.Float32,
        Device? device = null) =>
        RegionMasks.Dense(SampleCsr(perImage, m), gridSize, dtype, device);
}
