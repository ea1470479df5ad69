using PowerClip.Data;
using PowerClip.Train.Models;
using PowerClip.Train.Training;

namespace PowerClip.Train.Experiments;

/// <summary>
/// The held-out benchmarks of an experiment, exported once into a folder from the synthetic world at the model's
/// image and patch size (every <see cref="BenchmarkExporter.ExportAll"/> benchmark: SugarCrepe, Winoground, ARO,
/// zero-shot, retrieval, grounding, robustness). A `.complete` marker records what was exported; a folder with
/// another marker (or none: an interrupted export) is exported again from scratch.
/// </summary>
public static class ExportedBenchmarks
{
    /// <summary>Bumped when the export's content changes, so older folders are not taken for complete.</summary>
    /// (3: ARO's image_path relative to images/, zero-shot in CLIP_benchmark's image-folder files.)
    public const string Version = "3 (grounding, robustness, CLIP_benchmark layouts)";

    public static void Ensure(string dir, TrainConfig arm, int items, int perClass, string stamp)
    {
        var marker = Path.Combine(dir, ".complete");
        var model = ModelFactory.Inputs(arm).Model;
        var full = $"v{Version} {arm.Model} {model.Vision.ImageSize}/{model.Vision.PatchSize} " +
                   $"world-seed={arm.WorldSeed} items={items} perClass={perClass} {stamp}";
        if (File.Exists(marker) && File.ReadAllText(marker) == full) return;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Console.WriteLine($"exporting held-out benchmarks to {dir}");
        new BenchmarkExporter(TrainingSetup.World(arm, model)).ExportAll(dir, items, perClass);
        AtomicFile.WriteAllText(marker, full);
    }
}
