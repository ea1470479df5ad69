using PowerClip.Train;

return Cli.Run(PowerClipCli.CreateRoot(), args);
