using PowerClip.Data;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// A score computed from an image's patch tokens and a caption's token-level features (FILIP, SPARC, S̄), pairwise
/// or for whole matrices. Images and captions are encoded in batches under no_grad, images a slice of at most 512 at
/// a time; pairs are scored in chunks of at most <c>chunkElements</c> intermediate values, so COCO- and ImageNet-sized
/// matrices fit in memory. The cost is O(N·S·E) per pair (N patches, S tokens or nodes, E width), against O(E) for
/// the global cosine: at ViT-B/16 (N = 196, E = 512) and S ≈ 15 about 1.5·10^6 multiply-adds per pair, so COCO's
/// 5k × 25k retrieval matrix is ~2·10^14 and zero-shot ImageNet with 80 templates (50k × 80k) ~6·10^15.
/// </summary>
public abstract class TokenScorer(TrainedModel model, int batchSize, long chunkElements = 1L << 24)
    : IPairScorer, IMatrixScorer
{
    private readonly ModelEncoder _images = new(model, batchSize);

    /// <summary>Short id, as --score spells it.</summary>
    public abstract string Id { get; }

    public abstract string Name { get; }

    protected TrainedModel Model => model;

    public int BatchSize => _images.BatchSize;

    /// <summary>Whether image→text and text→image scores differ (FILIP's do).</summary>
    public virtual bool Directional => false;

    /// <summary>Per-image features [B, N, E'] from the projected patch tokens [B, N, E].</summary>
    protected abstract Tensor ImageFeatures(Tensor patches);

    /// <summary>Per-caption features [B, S, E'] and their valid mask [B, S] for a batch of captions.</summary>
    protected abstract (Tensor Features, Tensor Mask) CaptionFeatures(IReadOnlyList<string> captions);

    /// <summary>Both directions' scores, leading dimensions broadcast: images [..., N, E'], captions [..., S, E'], mask
    /// [..., S].</summary>
    protected abstract (Tensor ImageToText, Tensor TextToImage) Scores(Tensor images, Tensor captions, Tensor mask);

    public double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs) =>
        Score(pairs, ScoreDirection.ImageToText);

    public double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs, ScoreDirection direction)
    {
        // Pairs sorted by image, then scored a slice at a time: only a slice's images and captions are encoded and held
        // (ARO's 24k crops as patch tokens would need ~10 GB at ViT-B/16 otherwise).
        var order = Enumerable.Range(0, pairs.Count).OrderBy(k => pairs[k].ImagePath, StringComparer.Ordinal).ToArray();
        var result = new double[pairs.Count];
        using var noGrad = torch.no_grad();
        foreach (var slice in order.Chunk(ImagesPerSlice))
        {
            using var scope = torch.NewDisposeScope();
            var images = slice.Select(k => pairs[k].ImagePath).Distinct(StringComparer.Ordinal).ToArray();
            var captions = slice.Select(k => pairs[k].Caption).Distinct(StringComparer.Ordinal).ToArray();
            var imageIndex = Positions(images);
            var captionIndex = Positions(captions);
            var img = EncodeImages(images);
            var (cap, mask) = EncodeCaptions(captions);
            foreach (var part in slice.Chunk((int)Math.Max(1, chunkElements / PairCost(img, cap))))
            {
                using var inner = torch.NewDisposeScope();
                var ii = torch.tensor(part.Select(k => imageIndex[pairs[k].ImagePath]).ToArray(), device: img.device);
                var ci = torch.tensor(part.Select(k => captionIndex[pairs[k].Caption]).ToArray(), device: cap.device);
                var (i2t, t2i) = Scores(img.index_select(0, ii), cap.index_select(0, ci), mask.index_select(0, ci));
                var chosen = direction == ScoreDirection.ImageToText ? i2t : t2i;
                var values = chosen.to(torch.float64).cpu().data<double>().ToArray();
                for (var k = 0; k < part.Length; k++) result[part[k]] = values[k];
            }
        }
        return result;
    }

    /// <summary>Images encoded and held at a time (pairs are sliced by image, matrices by rows).</summary>
    public int ImagesPerSlice { get; init; } = 512;

    public (float[,] ImageToText, float[,] TextToImage) Matrices(
        IReadOnlyList<string> images, IReadOnlyList<string> captions)
    {
        var (i2t, t2i) = (new float[images.Count, captions.Count], new float[images.Count, captions.Count]);
        Blocks(images, captions, 1, (i0, j0, a, b) => { Fill(i2t, a, i0, j0); Fill(t2i, b, i0, j0); });
        return (i2t, t2i);
    }

    /// <summary>Group means block by block, so the full image × prompt matrix (ImageNet: 50k × 80k) is never
    /// held.</summary>
    public float[,] GroupMeans(
        IReadOnlyList<string> images, IReadOnlyList<string> captions, int groupSize, ScoreDirection direction)
    {
        if (groupSize < 1 || captions.Count % groupSize != 0)
            throw new ArgumentException($"{captions.Count} captions do not split into groups of {groupSize}");
        var result = new float[images.Count, captions.Count / groupSize];
        Blocks(images, captions, groupSize, (i0, j0, a, b) =>
        {
            var block = direction == ScoreDirection.ImageToText ? a : b;
            Fill(result, block.reshape(block.shape[0], -1, groupSize).mean([-1]), i0, j0 / groupSize);
        });
        return result;
    }

    /// <summary>
    /// Scores block by block: the captions are encoded once, the images a slice at a time (ImageNet's 50k images as
    /// patch tokens would not fit); column blocks are whole multiples of <paramref name="align"/> captions.
    /// </summary>
    private void Blocks(
        IReadOnlyList<string> images, IReadOnlyList<string> captions, int align,
        Action<int, int, Tensor, Tensor> consume)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (cap, mask) = EncodeCaptions(captions);
        var cols = Math.Min(captions.Count, align * Math.Max(1, 256 / align));
        for (var s0 = 0; s0 < images.Count; s0 += ImagesPerSlice)
        {
            using var sliceScope = torch.NewDisposeScope();
            var img = EncodeImages(images.Skip(s0).Take(ImagesPerSlice).ToArray());
            var count = (int)img.shape[0];
            var rows = (int)Math.Max(1, chunkElements / (cols * PairCost(img, cap)));
            for (var i0 = 0; i0 < count; i0 += rows)
                for (var j0 = 0; j0 < captions.Count; j0 += cols)
                {
                    using var inner = torch.NewDisposeScope();
                    var (bi, bj) = (Math.Min(rows, count - i0), Math.Min(cols, captions.Count - j0));
                    var (a, b) = Scores(img.narrow(0, i0, bi).unsqueeze(1), cap.narrow(0, j0, bj).unsqueeze(0),
                        mask.narrow(0, j0, bj).unsqueeze(0));
                    consume(s0 + i0, j0, a, b);
                }
        }
    }

    /// <summary>The images' features [I, N, E'], encoded in batches.</summary>
    protected Tensor EncodeImages(IReadOnlyList<string> paths)
    {
        var parts = new List<Tensor>();
        foreach (var batch in paths.Chunk(BatchSize))
        {
            using var inner = torch.NewDisposeScope();
            var (_, patches) = model.Model.Visual.Encode(_images.ImageBatch(batch));
            parts.Add(ImageFeatures(patches).MoveToOuterDisposeScope());
        }
        return torch.cat(parts, 0);
    }

    /// <summary>The captions' features [C, S, E'] and mask [C, S], padded to the longest caption.</summary>
    protected (Tensor Features, Tensor Mask) EncodeCaptions(IReadOnlyList<string> captions)
    {
        var parts = captions.Chunk(BatchSize).Select(b =>
        {
            using var inner = torch.NewDisposeScope();
            var (features, mask) = CaptionFeatures(b);
            return (Features: features.MoveToOuterDisposeScope(), Mask: mask.MoveToOuterDisposeScope());
        }).ToList();
        var length = parts.Max(p => p.Features.shape[1]);
        var features = parts.Select(p => nn.functional.pad(p.Features, [0, 0, 0, length - p.Features.shape[1]]));
        var masks = parts.Select(p =>
            nn.functional.pad(p.Mask.to(torch.int8), [0, length - p.Mask.shape[1]]).to(torch.@bool));
        return (torch.cat(features.ToList(), 0), torch.cat(masks.ToList(), 0));
    }

    /// <summary>The captions' token features [B, S, E] as training sees them and the valid mask, cut after the last
    /// valid token.</summary>
    protected (Tensor Features, Tensor Valid) TokenFeatures(IReadOnlyList<string> captions)
    {
        var batch = model.Inputs.TokenBatch(captions.Select(model.Tokenizer.Encode).ToArray(), model.Device);
        var (_, feats, valid) = model.Model.Text.Encode(batch);
        var used = Math.Max(1, (int)valid.any(0).nonzero().max().ToInt64() + 1);
        return (feats.narrow(1, 0, used), valid.narrow(1, 0, used));
    }

    private static Dictionary<string, long> Positions(string[] keys) =>
        keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => (long)x.i, StringComparer.Ordinal);

    private static long PairCost(Tensor images, Tensor captions)
    {
        var (n, s, e) = (images.shape[1], captions.shape[1], Math.Max(images.shape[2], captions.shape[2]));
        return Math.Max(1, n * s + (n + s) * e);
    }

    private static void Fill(float[,] target, Tensor block, int i0, int j0)
    {
        var (rows, cols) = ((int)block.shape[0], (int)block.shape[1]);
        var values = block.to(torch.float32).cpu().data<float>().ToArray();
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++) target[i0 + i, j0 + j] = values[i * cols + j];
    }
}
