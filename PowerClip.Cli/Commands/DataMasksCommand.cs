using System.CommandLine;
using PowerClip.Data;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip data masks`: SAM/SAM2 automatic-mask-generator output into the regions of existing shards
/// (<see cref="SamMaskImporter"/>).
/// </summary>
public static class DataMasksCommand
{
    public static Command Create()
    {
        var shards = new Option<string>("--shards")
            { Description = "Input WebDataset shards, brace-expanded: 'dir/{00000..00009}.tar'", Required = true };
        var masks = new Option<string>("--masks")
        {
            Description = "Folder of SAM/SAM2 mask files, one KEY.json per sample (amg.py --convert-to-rle)",
            Required = true,
        };
        var output = new Option<string>("--out")
            { Description = "Output folder: shards of the same names, with key.regions.json", Required = true };
        var maxMasks = new Option<int>("--max-masks")
        {
            Description = "Masks stored per image, best predicted_iou first (0 = all; reconstructed default)",
            DefaultValueFactory = _ => MaskImportOptions.DefaultMaxMasks,
        };
        var minArea = new Option<double>("--min-area")
            { Description = "Drop masks covering less than this share of the image", DefaultValueFactory = _ => 0.0 };
        var maxEntry = DataCommand.MaxEntryBytes();
        var command = new Command("masks",
            "Add SAM/SAM2 masks (COCO RLE JSON per image) to existing shards as key.regions.json, for PowerCLIP-S")
            { shards, masks, output, maxMasks, minArea, maxEntry };
        command.SetAction(r =>
        {
            if (r.GetValue(maxMasks) is < 0 and var k)
                throw new UsageException($"--max-masks must be >= 0 (0 keeps all), got {k}");
            if (r.GetValue(minArea) is not (>= 0 and < 1) and var a)
                throw new UsageException($"--min-area must lie in [0, 1), got {a}");
            var options = new MaskImportOptions(r.GetValue(maxMasks), r.GetValue(minArea),
                                                DataCommand.Positive(r.GetValue(maxEntry), "--max-entry-bytes"));
            var problems = new DataProblems(Console.Error);
            var (dir, outDir) = (r.GetValue(masks)!, r.GetValue(output)!);
            var report = new SamMaskImporter(dir, options, problems).Import(r.GetValue(shards)!, outDir);
            Console.WriteLine($"wrote {report.Samples} samples in {report.Shards} shard(s) to {outDir}: " +
                              $"{report.Summary()}; " +
                              problems.Summary());
            if (report.Samples > 0 && report.WithMasks == 0)
                throw new InvalidDataException(
                    $"no sample got masks: expected {Path.Combine(dir, "KEY.json")} per sample key (counts above)");
            return 0;
        });
        return command;
    }
}
