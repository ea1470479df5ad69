namespace PowerClip.Data;

/// <summary>
/// Turns raw samples into model-ready ones: image preprocessing (and augmentation, seeded per sample so parallel
/// preparation stays deterministic), tokenization, the caption's tree (shipped PTB or the built-in parser) and
/// its loss view. A sample that cannot be prepared is reported and dropped.
/// </summary>
public sealed class SamplePreparer(ImageTransform transform, CaptionTokenizer tokenizer, DataProblems problems,
    int seed = 0, bool leavesAsNodes = false)
{
    public DataSample? Prepare(RawSample raw, int epoch = 0)
    {
        try
        {
            var rng = transform.Augment ? new Random(Seeds.Augmentation(raw.Key, seed, epoch)) : null;
            var (pixels, regions) = transform.Apply(raw.Image, raw.ShippedRegions, rng);
            var text = TreeAlignment.Prepare(raw.Caption, tokenizer, raw.Tree, problems, raw.Key, leavesAsNodes);
            if (text.Loss.LeafSpans.Length == 0) { problems.Report(raw.Key, "bad caption",
                "no words left for the tree"); return null; }
            return new DataSample(raw.Key, pixels, transform.Size, regions, text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            problems.Report(raw.Key, "bad sample", e.Message);
            return null;
        }
    }

    /// <summary>
    /// The full input pipeline for one epoch: source → parallel preparation (ordered, bounded) → prefetch on a
    /// background thread, so reading, decoding and preprocessing overlap with the training step.
    /// </summary>
    public IEnumerable<DataSample> Stream(IRawSampleSource source, int epoch, StreamOptions options) =>
        source.Read(epoch).ParallelMap(r => Prepare(r, epoch), options.Threads).Prefetch(options.Prefetch);
}
