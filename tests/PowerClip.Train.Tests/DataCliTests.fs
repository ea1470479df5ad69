module PowerClip.Train.Tests.DataCliTests

open System.IO
open Expecto
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.DataTestFiles

[<Tests>]
let tests =
    testList "cli.data" [
        test "parse prints the tree, and with --spans the token spans and nodes" {
            let r = run [ "parse"; "a dog sitting on a red chair" ]
            Expect.equal r.ExitCode 0 r.Err
            Expect.equal (r.Out.Trim()) "(NP (NP (DT a) (NN dog)) (VP (VBG sitting) (PP (IN on) (NP (DT a) (JJ red) \
                (NN chair)))))" "tree"
            let s = run [ "parse"; "--spans"; "a dog sitting on a red chair" ]
            Expect.stringContains s.Out "leaf spans: [1,2) [2,3) [3,4) [4,5) [5,6) [6,7) [7,8)" "spans"
            Expect.stringContains s.Out "nodes: {0,1,2,3,4,5,6} {0,1} {2,3,4,5,6} {3,4,5,6} {4,5,6}" "nodes"
        }
        test "parse errors are one line: empty caption (exit 2), a tree that does not fit (exit 1)" {
            let e = run [ "parse"; " " ]
            Expect.equal e.ExitCode 2 "usage"
            Expect.stringStarts e.Err "powerclip: error: the caption is empty" "message"
            let t = run [ "parse"; "a dog"; "--tree"; "(NP (DT a) (NN cat))" ]
            Expect.equal t.ExitCode 1 "runtime"
            Expect.stringContains t.Err "does not match the caption" "names the problem"
        }
        test "data world writes shards that data check reads back; bad settings exit 2" {
            use dir = new TempDir()
            let w = run [ "data"; "world"; "--out"; dir.Path; "--count"; "12"; "--per-shard"; "5"; "--image-size"; "32";
                          "--patch-size"; "8"; "--seed"; "3" ]
            Expect.equal w.ExitCode 0 w.Err
            Expect.stringContains w.Out "wrote 12 train samples" "summary"
            Expect.equal (Directory.GetFiles(dir.Path, "*.tar").Length) 3 "3 shards"
            let c = run [ "data"; "check"; "--shards"; Path.Combine(dir.Path, "train-{00000..00002}.tar") ]
            Expect.equal c.ExitCode 0 c.Err
            let summary = "12 usable samples (12 with masks on the 14x14 patch grid: 100.0%, 12 with trees); 0 skipped"
            Expect.stringContains c.Out summary "check"
            let bad = run [ "data"; "world"; "--out"; dir.Path; "--image-size"; "30"; "--patch-size"; "8" ]
            Expect.equal bad.ExitCode 2 "usage error"
            Expect.stringContains bad.Err "patch size 8 must divide the image size 30" "names the problem"
        }
        test "data check repairs a shipped tree that does not fit its caption, and says so" {
            use dir = new TempDir()
            let w = new PowerClip.Data.ShardWriter(dir.Path, "t", 10)
            w.Write(PowerClip.Data.RawSample("k0", "a dog runs", gradient 16 16, null,
                                             "(S (NP (DT a) (NN cat)) (VP (VBZ runs)))"))
            w.Write(PowerClip.Data.RawSample("k1", "a dog runs", gradient 16 16, null,
                                             "(S (NP (DT a) (NN dog)) (VP (VBZ runs)))"))
            w.Dispose()
            let c = run [ "data"; "check"; "--shards"; dir.File "t-00000.tar"; "--image-size"; "16"; "--patch-size";
                          "8" ]
            Expect.equal c.ExitCode 0 c.Err
            let summary = "2 usable samples (0 with masks on the 2x2 patch grid: 0.0%, 2 with trees); 0 skipped; "
            Expect.stringContains c.Out (summary + "1 repaired: 1 bad tree") "summary"
            Expect.stringContains c.Err "powerclip: repaired k0: bad tree: tree leaf 1 'cat'"
                "logged with key and reason"
        }
        test "data shards turns an image folder into shards, skipping hostile files with counts" {
            use src = new TempDir()
            use out = new TempDir()
            for i, (name, bytes, _) in List.indexed (hostileImages ()) do
                let stem = $"{i:D2}"
                File.WriteAllBytes(src.File(stem + Path.GetExtension name), bytes)
                File.WriteAllText(src.File(stem + ".txt"), $"caption {i}")
            let r = run [ "data"; "shards"; "--folder"; src.Path; "--out"; out.Path ]
            Expect.equal r.ExitCode 0 r.Err
            Expect.stringContains r.Out "wrote 3 samples in 1 shard(s)" "good images"
            Expect.stringContains r.Out "7 skipped" "hostile files"
            Expect.stringContains r.Err "too large" "logged with reason"
            let c = run [ "data"; "check"; "--shards"; Path.Combine(out.Path, "shard-00000.tar") ]
            Expect.stringContains c.Out "3 usable samples" "readable shards"
        }
        test "export-benchmarks writes the folders" {
            use dir = new TempDir()
            let r = run [ "data"; "export-benchmarks"; "--out"; dir.Path; "--count"; "4"; "--per-class"; "1";
                          "--image-size"; "32"; "--patch-size"; "8" ]
            Expect.equal r.ExitCode 0 r.Err
            for d in [ "sugarcrepe"; "winoground"; "aro"; "zeroshot"; "retrieval" ] do
                Expect.isTrue (Directory.Exists(Path.Combine(dir.Path, d))) d
            Expect.stringContains r.Out "sugarcrepe/replace_att.json" "counts printed"
        }
    ]
