/// Retrieval on CLIP_benchmark's layouts: the Flickr Karpathy text files, COCO's caption JSON, webdataset shards.
module PowerClip.Train.Tests.EvaluationRetrievalTests

open System.IO
open Expecto
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.EvaluationFixtures

/// Images 0..2 = e_0..e_2; caption "c{i}{k}" describes image i and embeds to e_i, except "c11" (points at image 2).
let private encoder (imageKey: int -> string) =
    FakeEncoder(vectors [ for i in 0 .. 2 -> imageKey i, e i ],
                vectors [ for i in 0 .. 2 do for k in 0 .. 1 -> $"c{i}{k}", (if i = 1 && k = 1 then e 2 else e i) ])

/// The numbers every layout below must give for the same content.
let private expectStandard (r: RetrievalResult) =
    Expect.equal (r.Images, r.Captions) (3, 6) "3 images, 6 captions"
    expectProportion r.ImageToText.R1 2 3 "image 2's captions tie with c11 (image 1's): a tie counts against the query"
    expectProportion r.TextToImage.R1 5 6 "c11 retrieves image 2"
    expectProportion r.TextToImage.R5 6 6 "R@5"

[<Tests>]
let tests =
    testList "evaluation retrieval" [
        test "Flickr (CLIP_benchmark flickr30k/flickr8k): header skipped, split at '.jpg,', commas in captions kept" {
            use dir = new TempDir()
            for i in 0 .. 2 do image (dir.File $"{1000 + i}.jpg")
            let lines = [ "image,caption" ] @ [ for i in 0 .. 2 do for k in 0 .. 1 -> $"{1000 + i}.jpg,c{i}{k}" ]
            File.WriteAllLines(dir.File "flickr30k_test_karpathy.txt", lines)
            let set = RetrievalReader.Read(dir.Path)
            Expect.stringContains set.Layout "Flickr" "layout"
            expectStandard (RetrievalBenchmark.Run(encoder (fun i -> $"{1000 + i}.jpg"), dir.Path))
            let file = dir.File "flickr30k_test_karpathy.txt"
            File.WriteAllLines(file, [ "image,caption"; "1000.jpg,a dog, a cat, and a bird" ])
            let captions = List.ofSeq (RetrievalReader.Read(dir.Path).Captions)
            Expect.equal captions [ "a dog, a cat, and a bird" ] "comma in caption"
            File.WriteAllLines(dir.File "flickr30k_test_karpathy.txt", [ "image,caption"; "1009.jpg,missing" ])
            throwsData (fun () -> RetrievalReader.Read(dir.Path))
                [ "flickr30k_test_karpathy.txt image '1009.jpg'"; "image not found" ]
            File.WriteAllLines(dir.File "flickr30k_test_karpathy.txt", [ "image,caption"; "1000.png,no jpg" ])
            throwsData (fun () -> RetrievalReader.Read(dir.Path)) [ "flickr30k_test_karpathy.txt line 2" ]
        }
        test "COCO (CLIP_benchmark mscoco_captions): caption JSON, images under val2014, in image-id order" {
            use dir = new TempDir()
            let name i = $"COCO_val2014_00000000000{i}.jpg"
            for i in 0 .. 2 do image (Path.Combine(dir.Path, "val2014", name i))
            let entry i =
                let file = str (name i)
                $"""{{"id": {i + 7}, "file_name": {file}, "height": 4, "width": 4}}"""
            let images = [ 2; 0; 1 ] |> List.map entry
            let ann i k =
                let caption = str $"c{i}{k}"
                $"""{{"id": {10 * i + k}, "image_id": {i + 7}, "caption": {caption}}}"""
            let anns = [ for i in 0 .. 2 do for k in 0 .. 1 -> ann i k ]
            File.WriteAllText(dir.File "coco_test_karpathy.json",
                $"""{{"images": [{String.concat ", " images}], "annotations": [{String.concat ", " anns}], """
                + """"info": {}}""")
            let set = RetrievalReader.Read(dir.Path)
            let files = set.Images |> Seq.map Path.GetFileName |> List.ofSeq
            Expect.equal files [ name 0; name 1; name 2 ] "sorted by id"
            expectStandard (RetrievalBenchmark.Run(encoder name, dir.Path))
            File.WriteAllText(dir.File "coco_test_karpathy.json",
                """{"images": [{"id": 7, "file_name": "x.jpg"}], """
                + """"annotations": [{"image_id": "seven", "caption": "c"}]}""")
            throwsData (fun () -> RetrievalReader.Read(dir.Path))
                [ "coco_test_karpathy.json annotation 0"; "'image_id' is not an integer" ]
        }
        test "webdataset retrieval (CLIP_benchmark wds_mscoco_captions): KEY.txt holds the captions one per line" {
            use dir = new TempDir()
            File.WriteAllText(dir.File "dataset_type.txt", "retrieval\n")
            let sample i = [ $"s000000{i}.webp", webp (tagged i); $"s000000{i}.txt", utf8 $"c{i}0\nc{i}1\n" ]
            tar (Path.Combine(dir.Path, "test", "0.tar")) (sample 0 @ sample 1)
            tar (Path.Combine(dir.Path, "test", "1.tar")) (sample 2)
            File.WriteAllText(Path.Combine(dir.Path, "test", "nshards.txt"), "2\n")
            let set = RetrievalReader.Read(dir.Path)
            Expect.equal set.Layout "webdataset" "layout"
            expectStandard (RetrievalBenchmark.Run(encoder (fun i -> $"{i / 2}.tar::s000000{i}.webp"), dir.Path))
            tar (Path.Combine(dir.Path, "test", "1.tar")) [ "s0000002.webp", webp (tagged 2) ]
            throwsData (fun () -> RetrievalReader.Read(dir.Path)) [ "1.tar sample 's0000002'"; "no .txt" ]
        }
        test "no retrieval layout: the error lists what was looked for" {
            use dir = new TempDir()
            throwsData (fun () -> RetrievalReader.Read(dir.Path)) [ "no retrieval layout"; "coco_test_karpathy.json" ]
        }
    ]
