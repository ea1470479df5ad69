/// `powerclip eval paper` on a folder of downloads named as CLIP_benchmark names them, each in its public layout:
/// missing datasets are reported missing, a broken one failed (the rest still run, results kept, exit 2).
module PowerClip.Train.Tests.EvalPaperTests

open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.EvaluationFixtures
open PowerClip.Train.Tests.EvaluationTests
open PowerClip.Train.Tests.EvalModel

/// A small image that decodes (PNG bytes; the loader recognises content, not the extension).
let private png (path: string) (n: int) =
    Directory.CreateDirectory(nonNull (Path.GetDirectoryName path)) |> ignore
    File.WriteAllBytes(path, ImageLoader.EncodePng(tagged n))

/// ROOT with five datasets in CLIP_benchmark's names and layouts, and mscoco_captions broken.
let private downloads () =
    let root = tempFile "downloads"
    let cifar = Path.Combine(root, "wds_vtab-cifar10")
    Directory.CreateDirectory cifar |> ignore
    File.WriteAllLines(Path.Combine(cifar, "classnames.txt"), [ "airplane"; "automobile"; "bird" ])
    File.WriteAllLines(Path.Combine(cifar, "zeroshot_classification_templates.txt"), [ "a photo of a {c}." ])
    let samples = List.concat [ for i in 0 .. 3 -> clsSample $"s000000{i}" (tagged i) (i % 3) ]
    tar (Path.Combine(cifar, "test", "0.tar")) samples
    File.WriteAllText(Path.Combine(cifar, "test", "nshards.txt"), "1\n")
    for w in [ "n01498041"; "n01531178" ] do png (Path.Combine(root, "imagenet-a", w, "0.jpg")) 5
    // one template keeps the test fast (CLIP_benchmark's 80 × 200 classes would be 16,000 prompts)
    let templates = Path.Combine(root, "imagenet-a", "zeroshot_classification_templates.txt")
    File.WriteAllLines(templates, [ "a photo of a {c}." ])
    let flickr = Path.Combine(root, "flickr30k")
    for i in 0 .. 2 do png (Path.Combine(flickr, $"{i}.jpg")) i
    File.WriteAllLines(Path.Combine(flickr, "flickr30k_test_karpathy.txt"),
                       [ "image,caption"; "0.jpg,a red circle"; "1.jpg,a blue square"; "2.jpg,a star, green" ])
    let sc = Path.Combine(root, "sugar_crepe")
    png (Path.Combine(sc, "val2017", "000000000001.jpg")) 1
    File.WriteAllText(Path.Combine(sc, "add_att.json"),
        """{"0": {"filename": "000000000001.jpg", "caption": "a circle", "negative_caption": "a red circle"}}""")
    let wino = Path.Combine(root, "winoground", "data")
    for k in 0 .. 1 do png (Path.Combine(wino, "images", $"ex_0_img_{k}.png")) k
    File.WriteAllText(Path.Combine(wino, "examples.jsonl"),
        """{"id": 0, "image": "ex_0_img_0", "image_0": "ex_0_img_0", "image_1": "ex_0_img_1", """
        + """"caption_0": "a circle left of a square", "caption_1": "a square left of a circle", "tag": "Relation", """
        + """"secondary_tag": "", "num_main_preds": 1, "collapsed_tag": "Relation"}""" + "\n")
    Directory.CreateDirectory(Path.Combine(root, "mscoco_captions")) |> ignore
    File.WriteAllText(Path.Combine(root, "mscoco_captions", "coco_test_karpathy.json"),
                      """{"images": [{"id": 1}], "annotations": []}""")
    root

let private datasets (json: System.Text.Json.Nodes.JsonNode) =
    (at json [ "results"; "cosine"; "datasets" ]).AsArray()
    |> Seq.map (fun d -> let d = nonNull d in (at d [ "dataset" ]).GetValue<string>(), d) |> Map.ofSeq

[<Tests>]
let tests =
    testSequenced <| testList "eval paper" [
        test "the table: present datasets evaluated, absent ones missing, a broken one failed; beside the paper's" {
            let root = downloads ()
            let out = tempFile "paper"
            let paper () =
                run [ "eval"; "paper"; "--data"; root; "--checkpoint"; runDir.Value; "--out"; out; "--device"; "cpu" ]
            let r = paper ()
            expectOneLineError r 2 "1 dataset evaluation(s) failed"
            Expect.stringContains r.Err "mscoco_captions" "names the dataset"
            Expect.stringContains r.Err "coco_test_karpathy.json image 0" "and the file and item"
            let json = readJson (Path.Combine(out, "results.json"))
            let byName = datasets json
            let status d = (at byName[d] [ "status" ]).GetValue<string>()
            for d in [ "cifar10"; "imagenet-a"; "flickr30k"; "sugar_crepe"; "winoground" ] do
                Expect.equal (status d) "ok" d
            for d in [ "imagenet1k"; "food101"; "flickr8k"; "imagenetv2"; "objectnet" ] do
                Expect.equal (status d) "missing" d
            Expect.equal (status "mscoco_captions") "failed" "broken layout"
            let folder = (at byName["cifar10"] [ "folder" ]).GetValue<string>()
            Expect.stringContains folder "wds_vtab-cifar10" "found by its Hugging Face name"
            for m in [ "image→text R@1"; "text→image R@1" ] do at byName["flickr30k"] [ "metrics"; m ] |> ignore
            at byName["sugar_crepe"] [ "metrics"; "mean over categories" ] |> ignore
            at byName["winoground"] [ "metrics"; "group" ] |> ignore
            let groups =
                (at json [ "results"; "cosine"; "groups" ]).AsArray() |> Seq.map nonNull
                |> Seq.map (fun g -> (at g [ "id" ]).GetValue<string>(), g) |> Map.ofSeq
            let count (g: System.Text.Json.Nodes.JsonNode) =
                (at g [ "values" ]).GetValue<int>(), (at g [ "expected" ]).GetValue<int>()
            let cls = groups["classification"]
            Expect.equal (count cls) (1, 17) "1 of 17 datasets present"
            Expect.isFalse ((at cls [ "complete" ]).GetValue<bool>()) "incomplete: not comparable"
            Expect.equal ((at cls [ "reported"; "PowerCLIP-S" ]).GetValue<float>()) 42.2 "the paper's average beside"
            Expect.equal (count groups["retrieval"]) (2, 6) "flickr30k's two directions of 6 settings"
            let top1 = (at byName["cifar10"] [ "metrics"; "top-1" ]).GetValue<float>()
            let ours = (at cls [ "ours" ]).GetValue<float>()
            Expect.floatClose Accuracy.veryHigh ours (100.0 * top1) "the average of what is present, in %"
            Expect.equal ((at json [ "protocol_default" ]).GetValue<string>()) "cosine" "the protocol default"
            let provenance = (at json [ "datasets_provenance"; "robustness" ]).GetValue<string>()
            Expect.stringContains provenance "[reconstructed]" "the list's provenance"
            let html = File.ReadAllText(Path.Combine(out, "report.html"))
            for s in [ "PowerCLIP-S"; "42.2"; "incomplete"; "missing"; "wds_vtab-cifar10" ] do
                Expect.stringContains html s $"report: {s}"
            Expect.stringContains r.Out "Zero-shot classification, 17 datasets" "console summary"
            Expect.stringContains r.Out "wds_vtab-cifar10" "console: the folder read, relative to ROOT"
            Directory.Delete(Path.Combine(root, "mscoco_captions"), true)
            let ok = paper ()
            Expect.equal ok.ExitCode 0 ok.Err
            let again = datasets (readJson (Path.Combine(out, "results.json")))
            Expect.equal ((at again["mscoco_captions"] [ "status" ]).GetValue<string>()) "missing" "now missing"
        }
        test "bad --data, --table or --score: one line, exit 2" {
            let paper (extra: string list) = run ([ "eval"; "paper"; "--checkpoint"; runDir.Value ] @ extra)
            expectUsageError (paper [ "--data"; tempFile "none" ]) "--data: folder not found"
            let table = tempFile "table.json"
            Directory.CreateDirectory(nonNull (Path.GetDirectoryName table)) |> ignore
            File.WriteAllText(table, """{"source": "x", "methods": [], "groups": [{"id": "g", "task": "zeroshot", """
                                     + """"title": "t", "metric": "m", "datasets_provenance": "p", """
                                     + """"datasets": [{"id": "d", "names": []}], "reported": {}}]}""")
            let root = tempFile "empty"
            Directory.CreateDirectory root |> ignore
            expectUsageError (paper [ "--data"; root; "--table"; table ]) "needs datasets, each with at least one name"
            expectUsageError (paper [ "--data"; root; "--score"; "cos" ]) "--score: unknown score 'cos'"
            let sizes = PaperTable.Default().Groups |> Seq.map (fun g -> g.Datasets.Count) |> List.ofSeq
            Expect.equal sizes [ 17; 3; 6; 2 ] "classification, retrieval (6 settings), robustness, compositionality"
        }
    ]
