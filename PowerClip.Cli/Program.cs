using PowerClip.Cli;

return Cli.Run(PowerClipCli.CreateRoot(), args);
