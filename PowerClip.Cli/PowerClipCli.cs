using System.CommandLine;
using PowerClip.Cli.Commands;

namespace PowerClip.Cli;

/// <summary>The `powerclip` command tree; one file per command under Commands/.</summary>
public static class PowerClipCli
{
    public static RootCommand CreateRoot() =>
        new("PowerClip: powerset alignment for contrastive vision-language pre-training (PowerCLIP, CVPR 2026).")
        {
            InfoCommand.Create(),
            DemoCommand.Create(),
            StudyCommand.Create(),
            TrainCommand.Create(),
            NlaCommand.Create(),
            NlaAccuracyCommand.Create(),
            ParseCommand.Create(),
            DataCommand.Create(),
            EvalCommand.Create(),
            GroundCommand.Create(),
            BenchCommand.Create(),
            BenchComplexityCommand.Create(),
        };
}
