using System.Diagnostics;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>
/// Analytic matmul FLOPs (2 per multiply–add) of a CLIP training step; elementwise work (LayerNorm, GELU,
/// softmax, the NLAs' exp/log) is not counted. A step is taken as 3× the forward (backward ≈ 2× forward).
/// </summary>
public static class FlopCount
{
    /// <summary>Forward FLOPs of both towers for one image–caption pair.</summary>
    public static double EncodersPerPair(ClipConfig cfg)
    {
        var v = cfg.Vision; var t = cfg.Text;
        double n = v.PatchCount, p = v.PatchSize;
        var vision = 2 * n * 3 * p * p * v.Width + Blocks(n + 1, v.Width, v.Layers, v.MlpRatio)
            + 2 * n * v.Width * cfg.EmbedDim;
        double s = t.ContextLength;
        var text = Blocks(s, t.Width, t.Layers, t.MlpRatio) + 2 * s * t.Width * cfg.EmbedDim;
        return vision + text;
    }

    /// <summary>Forward FLOPs of the PowerCLIP head for a batch: region pooling, leaf and node sums, S1 (B² pairs),
    /// CLIP logits.</summary>
    public static double PowerClipHead(ClipConfig cfg, int batch, int regions, double leaves, double nodes)
    {
        double e = cfg.EmbedDim, b = batch;
        return b * (2 * regions * cfg.Vision.PatchCount * e + 2 * leaves * cfg.Text.ContextLength * e
            + 2 * nodes * leaves * e)
               + 2 * b * b * regions * nodes * e + 2 * b * b * e;
    }

    /// <summary>Matmul FLOPs of one training step (3× forward).</summary>
    public static double Step(ClipConfig cfg, int batch, bool powerClip, int regions, double leaves, double nodes) =>
        3 * (batch * EncodersPerPair(cfg) + (powerClip ? PowerClipHead(cfg, batch, regions, leaves,
            nodes) : 2.0 * batch * batch * cfg.EmbedDim));

    private static double Blocks(double tokens, int width, int layers, double mlpRatio)
    {
        double w = width, h = Math.Round(width * mlpRatio);
        return layers * (tokens * 2 * (4 * w * w + 2 * w * h) + 4 * tokens * tokens * w);
    }

    /// <summary>
    /// Measured matmul throughput (best of <paramref name="repeats"/> n×n products after warm-up), FLOP/s; float32
    /// unless <paramref name="dtype"/> is given.
    /// </summary>
    public static double MatmulPeak(Device device, int n = 1024, int repeats = 5, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn([n, n], device: device).to(dtype);
        var b = torch.randn([n, n], device: device).to(dtype);
        using (torch.NewDisposeScope()) torch.matmul(a, b);
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            using var inner = torch.NewDisposeScope();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
            var sw = Stopwatch.StartNew();
            torch.matmul(a, b);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best;
    }
}
