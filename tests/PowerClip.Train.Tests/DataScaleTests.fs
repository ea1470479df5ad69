module PowerClip.Train.Tests.DataScaleTests

open System
open System.IO
open System.Text
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.DataTestFiles

/// A read-only view of a stream that counts the bytes read through it.
type private CountingStream(inner: Stream) =
    inherit Stream()
    member val BytesRead = 0L with get, set
    override _.CanRead = true
    override _.CanSeek = inner.CanSeek
    override _.CanWrite = false
    override _.Length = inner.Length
    override _.Position with get () = inner.Position and set v = inner.Position <- v
    override this.Read(buffer: byte[], offset: int, count: int) =
        let n = inner.Read(buffer, offset, count)
        this.BytesRead <- this.BytesRead + int64 n
        n
    override _.Seek(offset, origin) = inner.Seek(offset, origin)
    override _.Flush() = ()
    override _.SetLength _ = raise (NotSupportedException())
    override _.Write(_: byte[], _: int, _: int) = raise (NotSupportedException())

/// The message of the FormatException that f throws.
let private errorOf (f: unit -> unit) =
    try
        f ()
        failtest "expected a FormatException"
        ""
    with :? FormatException as e -> e.Message

/// Three samples; the middle one's image entry is 3 MiB (its caption comes first, as img2dataset orders them by name).
let private shardWithBigEntry (dir: string) =
    use w = new ShardWriter(dir, "big", 10)
    let png = ImageLoader.EncodePng(gradient 8 8)
    let caption (s: string) = Encoding.UTF8.GetBytes s
    w.WriteFiles("a", [ struct ("png", png); struct ("txt", caption "first") ])
    w.WriteFiles("b", [ struct ("txt", caption "huge"); struct ("png", Array.create (3 <<< 20) 7uy) ])
    w.WriteFiles("c", [ struct ("png", png); struct ("txt", caption "third") ])
    w.Complete()
    w.Paths[0]

[<Tests>]
let tests =
    testList "data.scale" [
        test "an oversized tar entry is skipped unread with its whole sample, counted with key and reason" {
            use dir = new TempDir()
            let path = shardWithBigEntry dir.Path
            use file = File.OpenRead path
            use counting = new CountingStream(file)
            let log = new StringWriter()
            let problems = DataProblems(log)
            let keys =
                WebDataset.ReadShard(counting, "big.tar", problems, 1L <<< 20)
                |> Seq.map (fun r -> r.Key, r.Files.Count) |> List.ofSeq
            Expect.equal keys [ "a", 2; "c", 2 ] "the neighbours intact, nothing of b (not even its caption)"
            Expect.equal (problems.Count "oversized entry") 1 (problems.Summary())
            let line = "big.tar:b: oversized entry: b.png is 3145728 bytes, over the cap of 1048576"
            Expect.stringContains (log.ToString()) line "key and reason logged"
            let read = counting.BytesRead
            Expect.isLessThan read (1L <<< 20) $"the 3 MiB entry was not read (read {read} of {file.Length} bytes)"
            let all = WebDataset.ReadShard(path, DataProblems()) |> Seq.map (fun r -> r.Key) |> List.ofSeq
            Expect.equal all [ "a"; "b"; "c" ] "under the default 64 MiB cap it is read"
        }
        test "data check counts oversized entries (--max-entry-bytes)" {
            use dir = new TempDir()
            let path = shardWithBigEntry dir.Path
            let c = run [ "data"; "check"; "--shards"; path; "--image-size"; "8"; "--patch-size"; "4"
                          "--max-entry-bytes"; "1048576" ]
            Expect.equal c.ExitCode 0 c.Err
            let summary = "2 usable samples (0 with masks on the 2x2 patch grid: 0.0%, 0 with trees); "
            Expect.stringContains c.Out (summary + "1 skipped: 1 oversized entry") "summary"
            Expect.stringContains c.Err "b.png is 3145728 bytes" "logged"
        }
        test "an unterminated CSV quote is an error naming the line it opened on" {
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "a.png", ImageLoader.EncodePng(gradient 8 8))
            File.WriteAllText(dir.File "t.csv", "filepath,title\na.png,fine\na.png,\"never closed\na.png,swallowed\n")
            let rows (name: string) () =
                CsvSource(dir.File name, StreamOptions(), DataProblems()).Rows() |> List.ofSeq |> ignore
            Expect.stringContains (errorOf (rows "t.csv")) "t.csv line 3: unterminated quote" "names file and line"
            let c = run [ "data"; "check"; "--csv"; dir.File "t.csv" ]
            expectOneLineError c 1 "line 3: unterminated quote"
            // A stray quote in a long file is caught after a bounded field, not at the end of the file.
            let rest = String.replicate (CsvSource.MaxQuotedChars / 10 + 1) "a.png,row\n"
            File.WriteAllText(dir.File "long.csv", "filepath,title\na.png,\"open\n" + rest)
            let long = errorOf (rows "long.csv")
            Expect.stringContains long "line 2: unterminated quote" "the line the quote opened on"
            Expect.stringContains long "runs past" "why"
            // Quoted line breaks that do close are still fields, and the line count goes on past them.
            File.WriteAllText(dir.File "ok.csv", "filepath,title\na.png,\"two\nlines\"\na.png,\"open\n")
            let ok = errorOf (rows "ok.csv")
            Expect.stringContains ok "line 4: unterminated quote" "line 4, after a closed two-line field"
        }
    ]
