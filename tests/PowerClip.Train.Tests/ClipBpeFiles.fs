/// CLIP BPE merges files made by the tests, in the layout of open_clip's bpe_simple_vocab_16e6.txt.gz (which is
/// not shipped and not available offline): gzip, the header line as the real file has it, one merge "a b" a line.
module PowerClip.Train.Tests.ClipBpeFiles

open System
open System.Diagnostics
open System.IO
open System.IO.Compression
open System.Text
open PowerClip.Data

/// The real file's first line.
let header = "\"bpe_simple_vocab_16e6.txt#version: 0.2"

/// Writes header + merges, gzip-compressed, each line ended by '\n' as in the real file.
let write (path: string) (merges: string seq) : unit =
    use file = File.Create path
    use gz = new GZipStream(file, CompressionLevel.Fastest)
    let text = String.Join("\n", Seq.append [ header ] merges) + "\n"
    let bytes = UTF8Encoding(false).GetBytes text
    gz.Write(bytes, 0, bytes.Length)

/// GPT-2's byte → symbol table (printable bytes stand for themselves, the others for 256 + n).
let private byteSymbol : string[] =
    let printable (b: int) = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)
    let mutable n = 0
    Array.init 256 (fun b -> if printable b then string (char b) else (n <- n + 1; string (char (255 + n))))

/// Merges learned from a corpus the way BPE learns them: words are byte symbols with "</w>" on the last,
/// the most frequent adjacent pair is merged (ties: the ordinally smallest), `count` times.
let learn (corpus: string list) (count: int) : string list =
    let words =
        corpus
        |> List.collect (fun line ->
            line.ToLowerInvariant().Split([| ' '; ','; '.' |], StringSplitOptions.RemoveEmptyEntries) |> List.ofArray)
        |> List.map (fun w ->
            let syms = Encoding.UTF8.GetBytes w |> Array.map (fun b -> byteSymbol[int b])
            syms[syms.Length - 1] <- syms[syms.Length - 1] + "</w>"
            List.ofArray syms)
    let rec go (words: string list list) (left: int) (acc: string list) =
        let pairs =
            words
            |> List.collect (fun w -> List.pairwise w)
            |> List.countBy id
        if left = 0 || pairs.IsEmpty then List.rev acc
        else
            let most = pairs |> List.map snd |> List.max
            let a, b =
                pairs |> List.filter (fun (_, c) -> c = most) |> List.map fst |> List.minBy (fun (x, y) -> x + " " + y)
            let rec merge (w: string list) =
                match w with
                | x :: y :: rest when x = a && y = b -> (a + b) :: merge rest
                | x :: rest -> x :: merge rest
                | [] -> []
            go (words |> List.map merge) (left - 1) ((a + " " + b) :: acc)
    go words count []

/// A corpus of captions whose merges cover common English fragments, repeated pairs and punctuation.
let corpus =
    [ "a photo of a cat sitting on a red chair"; "a dog and a cat on the grass"; "two dogs playing with a ball"
      "the cat's toy is under the table"; "a man riding a horse on the beach"; "an apple and a banana on a plate"
      "a small green frog"; "aaaa baaa aaab"; "the photographer photographs photos" ]

/// 48,894 + `extra` distinct merges of two byte symbols: a file of the real one's size (49,408 ids), whose
/// merges are not the real ones; lines beyond 48,894 must be ignored as open_clip ignores them.
let fullSize (extra: int) : string list =
    [ for a in ClipVocabulary.ByteSymbols() do
          for b in ClipVocabulary.ByteSymbols() do
              yield a + " " + b ]
    |> List.truncate (ClipVocabulary.MergeCount + extra)

/// The small learned file and the full-size one, written once per test process.
let private folder = Path.Combine(Path.GetTempPath(), "powerclip-tests", "bpe-" + Guid.NewGuid().ToString("N"))

let small =
    lazy (
        Directory.CreateDirectory folder |> ignore
        let path = Path.Combine(folder, "small_bpe.txt.gz")
        write path (learn corpus 200)
        path)

let full =
    lazy (
        Directory.CreateDirectory folder |> ignore
        let path = Path.Combine(folder, ClipVocabulary.FileName)
        write path (fullSize 5)
        path)

/// Runs a program with `input` on stdin; exit code, stdout, stderr.
let exec (file: string) (args: string list) (input: string) : int * string * string =
    let psi =
        ProcessStartInfo(file, args,
                         RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true)
    use p = nonNull (Process.Start psi)
    let err = p.StandardError.ReadToEndAsync()
    p.StandardInput.Write input
    p.StandardInput.Close()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out, err.Result

/// The repository's root (where PowerClip.sln is).
let repoRoot () : string =
    let rec up (d: DirectoryInfo | null) =
        match d with
        | null -> failwith "repository root (PowerClip.sln) not found"
        | d when File.Exists(Path.Combine(d.FullName, "PowerClip.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// Whether Debian's python3 has the named modules (the reference scripts run only then).
let pythonHas (modules: string) : bool =
    File.Exists "/usr/bin/python3" && (let code, _, _ = exec "/usr/bin/python3" [ "-c";
                                                                                  $"import {modules}" ] "" in code = 0)
