module PowerClip.Notebooks.Tests.Main

open Expecto

[<EntryPoint>]
let main argv = Tests.runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
