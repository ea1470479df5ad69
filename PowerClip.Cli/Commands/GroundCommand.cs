using System.CommandLine;
using PowerClip.Data;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Models;
using PowerClip.Train.Training;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip ground --checkpoint CKPT --image IMG --caption TEXT [--out PNG]`: the PNG of T2R's region
/// weights per phrase of the caption's tree (see <see cref="Grounding"/>), a JSON beside it (PNG path with
/// .json: caption, tree, τ, per phrase its panel, words and weights) and the panel → phrase list on the console.
/// </summary>
public static class GroundCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var checkpoint = new CheckpointOptions();
        var image = new Option<string>("--image") { Description = "Image file (PNG, JPEG, BMP, WebP)",
            Required = true };
        var caption = new Option<string>("--caption") { Description = "Caption whose phrases are grounded (quote it)",
            Required = true };
        var output = new Option<string>("--out") { Description = "Output PNG (a .json with the same name is written " +
            "beside it)", DefaultValueFactory = _ => "grounding.png" };
        var tau = new Option<double?>("--tau") { Description = "τ of the softplus selection σ(S1/τ) (default: the " +
            "checkpoint's, paper 1e-3; larger values soften the maps)" };
        var panel = new Option<int>("--panel-size") { Description = "Side of each panel in pixels",
            DefaultValueFactory = _ => GroundingImage.DefaultPanel };
        var command = new Command("ground", "Text-to-image grounding: heat maps of the regions T2R selects for each " +
            "phrase of the caption") { image, caption, output, tau, panel };
        checkpoint.AddTo(command);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var text = r.GetValue(caption) ?? "";
            if (string.IsNullOrWhiteSpace(text)) throw new UsageException("--caption is empty");
            if (r.GetValue(tau) is { } t && !(t > 0)) throw new UsageException($"--tau must be > 0, got {t}");
            var imagePath = r.GetValue(image)!;
            if (!File.Exists(imagePath)) throw new UsageException($"--image: file not found: {imagePath}");
            var loaded = new ImageLoader().Load(imagePath);
            if (loaded.Image is null) throw new UsageException(
                $"--image {imagePath}: {loaded.Reason} ({loaded.Detail})");
            var resolved = checkpoint.Resolve(r);
            var panelSize = r.GetValue(panel);
            var (device, _) = runtime.Apply(r);
            using var model = checkpoint.Load(r, resolved, device);
            if (panelSize < model.Model.Config.Vision.GridSize) throw new UsageException(
                $"--panel-size must be at least the patch grid ({model.Model.Config.Vision.GridSize}), got " +
                $"{panelSize}");
            var (png, result) = Grounding.Render(model, loaded.Image, text, r.GetValue(tau), panelSize);
            var outPath = r.GetValue(output)!;
            var parent = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (parent is not null) Directory.CreateDirectory(parent);
            var jsonPath = Path.ChangeExtension(outPath, ".json");
            AtomicFile.Write(outPath, s => s.Write(png));
            AtomicFile.WriteAllText(jsonPath, ResultJson.Serialize(result));
            Console.WriteLine($"tree: {result.Tree}");
            Console.WriteLine($"panel 0: the image ({result.GridSize}x{result.GridSize} patches = regions; weight " +
                $"σ(S1/τ), τ = {result.Tau:G3})");
            foreach (var p in result.Phrases)
                Console.WriteLine($"panel {p.Panel}: \"{p.Text}\" — {p.Selected}/{p.Weights.Length} regions selected");
            Console.WriteLine($"wrote {outPath} and {jsonPath}");
            return 0;
        });
        return command;
    }
}
