module PowerClip.Train.Tests.DataBenchmarkTests

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.DataTestFiles

let private world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 7))

let private parse (s: string) : JsonNode = nonNull (JsonNode.Parse s)
let private get (n: JsonNode | null) (key: string) : JsonNode =
    let o: JsonNode = nonNull n
    nonNull (o.[key])
let private text (n: JsonNode | null) (key: string) : string = (get n key).GetValue<string>()

/// The caption's words as a sorted list, "an" read as "a" (the article follows the next word).
let private words (s: string) =
    s.Split(' ') |> Array.map (fun w -> if w = "an" then "a" else w) |> Array.sort |> List.ofArray

[<Tests>]
let benchmarks =
    testList "data.benchmarks" [
        test "hard negatives are false of the scene and change what their category says" {
            let mutable made = 0
            for i in 0L .. 59L do
                let s = world.Sample(WorldSplit.Test, i)
                for category in HardNegatives.Categories do
                    match HardNegatives.Make(category, s.Scene, s.Caption, Random(int i)) with
                    | null -> ()
                    | n ->
                        made <- made + 1
                        Expect.isFalse (WorldTruth.IsTrue(s.Scene, n, strict = false))
                            $"{category}: '{n.Text}' is false of {s.Key}"
                        Expect.notEqual n.Text s.Caption.Text "differs"
                        match category with
                        | "swap_att" | "swap_obj" | "replace_rel" when category <> "replace_rel" ->
                            Expect.equal (words n.Text) (words s.Caption.Text) $"{category} keeps the words"
                        | "add_obj" -> Expect.equal n.Mentions.Count (s.Caption.Mentions.Count + 1) "one more object"
                        | "add_att" ->
                            Expect.equal (words n.Text).Length ((words s.Caption.Text).Length + 1) "one more word"
                        | "replace_rel" -> Expect.notEqual n.Relation s.Caption.Relation "another relation"
                        | _ -> Expect.equal (words n.Text).Length (words s.Caption.Text).Length "same length"
            Expect.isGreaterThan made 300 "most categories apply to most scenes"
        }
        test "export-benchmarks writes every public format, consistently" {
            use dir = new TempDir()
            let counts = BenchmarkExporter(world).ExportAll(dir.Path, 12, 1, 3)
            for category in HardNegatives.Categories do
                let json = (parse (File.ReadAllText(Path.Combine(dir.Path, "sugarcrepe",
                                                                 category + ".json")))).AsObject()
                Expect.equal json.Count counts[$"sugarcrepe/{category}.json"] "count reported"
                Expect.isGreaterThan json.Count 0 category
                for kv in json do
                    let e = kv.Value
                    Expect.isTrue (File.Exists(Path.Combine(dir.Path, "sugarcrepe", "images", text e "filename")))
                        "image exists"
                    Expect.notEqual (text e "caption") (text e "negative_caption") "a real negative"
            let wino = File.ReadAllLines(Path.Combine(dir.Path, "winoground", "examples.jsonl")) |> Array.map parse
            Expect.isGreaterThan wino.Length 0 "winoground pairs"
            for e in wino do
                Expect.equal (words (text e "caption_0")) (words (text e "caption_1")) "same words"
                for k in [ "image_0"; "image_1" ] do
                    Expect.isTrue (File.Exists(Path.Combine(dir.Path, "winoground", "images", text e k + ".png"))) k
            for f in [ "visual_genome_relation.json"; "visual_genome_attribution.json" ] do
                let arr = (parse (File.ReadAllText(Path.Combine(dir.Path, "aro", f)))).AsArray()
                Expect.isGreaterThan arr.Count 0 f
                for e in arr do
                    Expect.equal (words (text e "true_caption")) (words (text e "false_caption"))
                        "order test: same words"
                    let image = Path.Combine(dir.Path, "aro", "images", text e "image_path")
                    Expect.isTrue (File.Exists image) "image under images/, as ARO's loader joins it"
            let classes = File.ReadAllLines(Path.Combine(dir.Path, "zeroshot", "classnames.txt"))
            Expect.equal classes.Length 48 "8 colours × 6 shapes"
            Expect.equal (Directory.GetDirectories(Path.Combine(dir.Path, "zeroshot", "test")).Length) 48
                "a folder per class"
            let held = File.ReadAllLines(Path.Combine(dir.Path, "zeroshot", "heldout_classes.txt"))
            Expect.isTrue (held.Length > 0 && held |> Array.forall (fun h -> Array.contains h classes))
                "held-out classes listed"
            let karpathy = parse (File.ReadAllText(Path.Combine(dir.Path, "retrieval", "dataset_synthetic.json")))
            let imgs = (get karpathy "images").AsArray()
            Expect.equal imgs.Count 12 "images"
            for im in imgs do
                Expect.equal ((get im "sentences").AsArray().Count) 3 "captions per image"
                Expect.equal (text im "split") "test" "split"
                Expect.isTrue (File.Exists(Path.Combine(dir.Path, "retrieval", "images", text im "filename"))) "image"
        }
    ]
