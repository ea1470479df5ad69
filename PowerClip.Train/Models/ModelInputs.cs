using PowerClip.Data;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Models;

/// <summary>
/// How a model sees its inputs: images at its size with CLIP's normalisation, captions through its tokenizer and
/// into its phrase trees, as batches of tensors. Training (<see cref="Training.TrainingBatch"/>), evaluation, grounding
/// and the step benchmark all go through it, so that preprocessing cannot drift between them.
/// </summary>
public sealed class ModelInputs(ClipConfig model, CaptionTokenizer tokenizer)
{
    public ClipConfig Model { get; } = model;
    public CaptionTokenizer Tokenizer { get; } = tokenizer;
    public int ImageSize => Model.Vision.ImageSize;
    public int GridSize => Model.Vision.GridSize;
    public int ContextLength => Model.Text.ContextLength;

    /// <summary>The evaluation transform: shorter side resized, centre crop, no augmentation.</summary>
    public ImageTransform Transform { get; } = new(model.Vision.ImageSize, model.Vision.PatchSize);

    /// <summary>The training transform, with the light augmentation when <paramref name="augment"/> is set.</summary>
    public ImageTransform TrainingTransform(bool augment) => Transform with { Augment = augment };

    /// <summary>A caption tokenized, parsed by the built-in parser and aligned with its tokens (evaluation,
    /// grounding).</summary>
    public PreparedCaption Prepare(string caption) => TreeAlignment.Prepare(caption, Tokenizer);

    /// <summary>Images [B, 3, H, W] from CHW pixel arrays prepared at this model's size; <paramref name="names"/> name
    /// them in errors.</summary>
    public Tensor ImageBatch(IReadOnlyList<float[]> pixels, Device device, IReadOnlyList<string>? names = null)
    {
        var size = 3 * ImageSize * ImageSize;
        var batch = new float[pixels.Count * size];
        for (var b = 0; b < pixels.Count; b++)
        {
            if (pixels[b].Length != size)
                throw new ArgumentException($"image {Name(names, b)} has {pixels[b].Length} values, the model " +
                    $"expects 3×{ImageSize}×{ImageSize}");
            Array.Copy(pixels[b], 0, batch, b * size, size);
        }
        return torch.tensor(batch, [pixels.Count, 3, ImageSize, ImageSize], device: device);
    }

    /// <summary>Decoded images [B, 3, H, W] through the evaluation transform.</summary>
    public Tensor ImageBatch(IReadOnlyList<RgbImage> images, Device device) =>
        ImageBatch(images.Select(i => Transform.Apply(i, null).Pixels).ToArray(), device);

    /// <summary>Token ids [B, S] of tokenized captions; <paramref name="names"/> name them in errors.</summary>
    public Tensor TokenBatch(IReadOnlyList<TokenizedCaption> captions, Device device,
        IReadOnlyList<string>? names = null)
    {
        var ids = new long[captions.Count * ContextLength];
        for (var b = 0; b < captions.Count; b++)
        {
            var row = captions[b].Ids;
            if (row.Length != ContextLength)
                throw new ArgumentException($"caption {Name(names, b)} has {row.Length} token positions, the model's " +
                    $"context is {ContextLength}");
            for (var k = 0; k < ContextLength; k++) ids[b * ContextLength + k] = row[k];
        }
        return torch.tensor(ids, [captions.Count, ContextLength], device: device);
    }

    /// <summary>The captions' trees for the loss and the scores: leaf token spans and node sets as a <see
    /// cref="PhraseBatch"/>.</summary>
    public PhraseBatch PhraseBatch(IReadOnlyList<PreparedCaption> captions, Device device) =>
        global::PowerClip.Model.PhraseBatch.Build(captions.Select(c => new CaptionTree(c.Loss.LeafSpans, c.Loss.Nodes))
            .ToArray(), ContextLength, device: device);

    private static string Name(IReadOnlyList<string>? names, int b) => names is null
        ? b.ToString() : $"{b} ({names[b]})";
}
