/// Zero-shot classification on CLIP_benchmark's layouts: webdataset shards with .cls labels, image folders named by
/// label index or WordNet id (never by string sort), ImageNet-A/-R's 200-class subsets, and the metrics.
module PowerClip.Train.Tests.EvaluationZeroShotTests

open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.EvaluationFixtures

/// A CLIP_benchmark webdataset folder: test/{0,1}.tar, nshards.txt, classnames.txt,
/// zeroshot_classification_templates.txt.
let private wdsFolder (dir: string) (classes: string list) (shards: (string * int) list list) =
    File.WriteAllLines(Path.Combine(dir, "classnames.txt"), classes)
    File.WriteAllLines(Path.Combine(dir, "zeroshot_classification_templates.txt"), [ "a photo of a {c}."; "a {c}." ])
    shards |> List.iteri (fun k samples ->
        let members = samples |> List.mapi (fun i (key, label) -> clsSample key (tagged (10 * k + i)) label)
        tar (Path.Combine(dir, "test", $"{k}.tar")) (List.concat members))
    File.WriteAllText(Path.Combine(dir, "test", "nshards.txt"), $"{shards.Length}\n")

[<Tests>]
let tests =
    testList "evaluation zero-shot" [
        test "webdataset: labels from .cls, images as shard members, templates with {c}; top-1, top-5, recall" {
            use dir = new TempDir()
            let classes = [ "cat"; "dog"; "fox"; "owl"; "ant"; "bee" ]
            wdsFolder dir.Path classes [ [ "s0000000", 0; "s0000001", 1 ]; [ "s0000002", 1; "s0000003", 5 ] ]
            let set = ClassificationReader.Read(dir.Path)
            Expect.equal set.Layout "webdataset" "layout"
            let labels = set.Samples |> Seq.map sampleLabel |> List.ofSeq
            Expect.equal labels [ 0; 1; 1; 5 ] "labels from .cls, shard order"
            Expect.equal (Path.GetFileName(sampleImage set.Samples[2])) "1.tar::s0000002.webp" "image = shard member"
            Expect.equal set.Templates[0] "a photo of a {c}." "templates kept with {c}"
            // class k's prompts embed to e_(k mod 4) (dog and owl and… share directions only where stated below)
            let dirs = dict [ "cat", e 0; "dog", e 1; "fox", e 2; "owl", e 3; "ant", neg (e 0); "bee", neg (e 1) ]
            let templates = [ "a photo of a {c}."; "a {c}." ]
            let texts = vectors [ for c in classes do for t in templates -> t.Replace("{c}", c), dirs[c] ]
            // s0: cat (right); s1: dog (right); s2: fox for dog (wrong; dog 2nd); s3: owl for bee (bee ties last)
            let imgs = vectors [ "0.tar::s0000000.webp", e 0; "0.tar::s0000001.webp", e 1
                                 "1.tar::s0000002.webp", [| 0f; 0.5f; 1f; 0f |]; "1.tar::s0000003.webp", e 3 ]
            let r = ZeroShotBenchmark.Run(FakeEncoder(imgs, texts), dir.Path)
            expectProportion r.Top1 2 4 "two right"
            expectProportion (nonNull r.Top5) 3 4 "bee is 6th of 6 for the owl-like image"
            // classes present: cat 1/1, dog 1/2, bee 0/1 → (1 + 0.5 + 0) / 3
            Expect.floatClose Accuracy.veryHigh r.MeanPerClassRecall (1.5 / 3.0) "mean recall over the classes present"
            Expect.equal r.RecallClasses 3 "three classes occur"
            Expect.equal (r.Dataset, r.Images, r.Templates) (nonNull (Path.GetFileName dir.Path), 4, 2) "counts"
        }
        test "a shard member decodes to the pixels written (lossless WebP), through the model encoder's loader" {
            use dir = new TempDir()
            let shard = dir.File "0.tar"
            tar shard (clsSample "s0000000" (gradient 7 5) 3 @ clsSample "s0000001" (tagged 4) 0)
            let img = BenchmarkImage.Load(BenchmarkImage.InShard(shard, "s0000001.webp"), ImageLoader())
            Expect.equal img.Pixels (tagged 4).Pixels "exact pixels of the second sample"
            Expect.equal ((TarShards.Samples shard).[0].Text "cls") "3" "label text"
            let missing = BenchmarkImage.InShard(shard, "s0000009.webp")
            throwsData (fun () -> BenchmarkImage.Load(missing, ImageLoader())) [ "0.tar"; "no member s0000009.webp" ]
        }
        test "numeric class folders map by number: '10' is class 10, not the 3rd by string sort" {
            use dir = new TempDir()
            let classes = [ for k in 0 .. 11 -> $"class{k}" ]
            File.WriteAllLines(dir.File "classnames.txt", classes)
            for k in [ 2; 10 ] do
                image (Path.Combine(dir.Path, "ImageNetV2-matched-frequency", string k, $"img{k}.jpeg"))
            let set = ClassificationReader.Read(dir.Path)
            Expect.stringContains set.Layout "numeric" "layout"
            let labels = set.Samples |> Seq.map (fun struct (p, l) -> nonNull (Path.GetFileName p), l) |> Map.ofSeq
            Expect.equal labels[ "img10.jpeg" ] 10 "folder 10 → label 10 (string sort would give 1)"
            Expect.equal labels[ "img2.jpeg" ] 2 "folder 2 → label 2"
            let expected = "CLIP_benchmark's templates for " + nonNull (Path.GetFileName dir.Path)
            Expect.equal set.TemplateSource expected "no template file: CLIP_benchmark's"
            Expect.equal set.Templates.Count 80 "ImageNet's 80 templates by default"
            Directory.CreateDirectory(Path.Combine(dir.Path, "ImageNetV2-matched-frequency", "12")) |> ignore
            throwsData (fun () -> ClassificationReader.Read(dir.Path)) [ "12"; "12 class names" ]
        }
        test "ImageNet-A and -R: WordNet-id folders, the 200-class subsets and CLIP_benchmark's class names" {
            use dir = new TempDir()
            let a = folder dir "imagenet-a"
            for w in [ "n01498041"; "n12267677" ] do image (Path.Combine(a, w, "x.jpg"))
            let set = ClassificationReader.Read(a)
            Expect.equal set.ClassNames.Count 200 "ImageNet-A: 200 classes"
            Expect.equal set.ClassNames[0] "stingray" "first ImageNet-A class (n01498041)"
            Expect.equal set.ClassNames[199] "acorn" "last ImageNet-A class (n12267677)"
            let labels = set.Samples |> Seq.map sampleLabel |> Seq.sort |> List.ofSeq
            Expect.equal labels [ 0; 199 ] "labels in the subset"
            let r = folder dir "imagenet-r"
            image (Path.Combine(r, "n01443537", "y.jpg"))
            let rs = ClassificationReader.Read(r)
            let first = (rs.ClassNames.Count, rs.ClassNames[0], sampleLabel rs.Samples[0])
            Expect.equal first (200, "goldfish", 0) "ImageNet-R's subset starts at goldfish"
            image (Path.Combine(r, "n01440764", "z.jpg"))
            throwsData (fun () -> ClassificationReader.Read(r)) [ "n01440764"; "200 WordNet ids of imagenet-r" ]
            let sketch = folder dir "wds_imagenet_sketch"
            image (Path.Combine(sketch, "n01440764", "s.jpg"))
            Expect.equal (ClassificationReader.Read(sketch).ClassNames.Count) 1000 "ImageNet-Sketch keeps 1000 classes"
            Expect.equal (ZeroShotMetadata.Canonical "wds_vtab-cifar10") "vtab/cifar10" "CLIP_benchmark's folder naming"
        }
        test "class-name folders map through classnames.txt; the legacy templates.txt with {} still reads" {
            use dir = new TempDir()
            File.WriteAllLines(dir.File "classnames.txt", [ "zebra"; "apple pie" ])
            File.WriteAllLines(dir.File "templates.txt", [ "a {}." ])
            for f in [ "zebra"; "apple_pie" ] do image (Path.Combine(dir.Path, "test", f, "i.png"))
            let set = ClassificationReader.Read(dir.Path)
            let folderOf (p: string) = nonNull (Path.GetFileName(nonNull (Path.GetDirectoryName p)))
            Expect.equal (set.Samples |> Seq.map (fun struct (p, l) -> folderOf p, l) |> Map.ofSeq)
                (Map [ "apple_pie", 1; "zebra", 0 ]) "by name, not by order"
            Expect.equal (List.ofSeq set.Templates) [ "a {c}." ] "{} read as {c}"
        }
        test "bad zero-shot folders: one-line errors naming the file and the item" {
            use dir = new TempDir()
            let w = folder dir "w"
            wdsFolder w [ "a"; "b" ] [ [ "s0000000", 0 ] ]
            tar (Path.Combine(w, "test", "0.tar")) [ "s0000000.webp", webp (tagged 1); "s0000000.cls", utf8 "one" ]
            throwsData (fun () -> ClassificationReader.Read(w)) [ "0.tar sample 's0000000'"; "label 'one'" ]
            tar (Path.Combine(w, "test", "0.tar")) [ "s0000000.cls", utf8 "1" ]
            throwsData (fun () -> ClassificationReader.Read(w)) [ "0.tar sample 's0000000'"; "no image" ]
            tar (Path.Combine(w, "test", "0.tar")) (clsSample "s0000000" (tagged 1) 2)
            throwsData (fun () -> ClassificationReader.Read(w)) [ "label '2'"; "below 2" ]
            File.WriteAllText(Path.Combine(w, "test", "nshards.txt"), "2")
            throwsData (fun () -> ClassificationReader.Read(w)) [ "benchmark file not found"; "1.tar" ]
            File.WriteAllText(Path.Combine(w, "test", "nshards.txt"), "1")
            let templates = Path.Combine(w, "zeroshot_classification_templates.txt")
            File.WriteAllLines(templates, [ "a {c}."; "a photo of a {}." ])
            throwsData (fun () -> ClassificationReader.Read(w))
                [ "zeroshot_classification_templates.txt template 2"; "no {c}" ]
            File.WriteAllLines(templates, [ "a {c}." ])
            File.WriteAllText(Path.Combine(w, "dataset_type.txt"), "retrieval\n")
            throwsData (fun () -> ClassificationReader.Read(w)) [ "dataset_type.txt"; "eval retrieval" ]
            let noNames = folder dir "mystery"
            image (Path.Combine(noNames, "test", "0", "a.png"))
            throwsData (fun () -> ClassificationReader.Read(noNames)) [ "classnames.txt not found"; "mystery" ]
        }
    ]
