/// The tokenizer as part of the model on the command line: `train --tokenizer` recorded in config.json and used by
/// every reader, the vocabulary checked against the model, and `eval` on open_clip's files with no run folder.
module PowerClip.Train.Tests.TokenizerCliTests

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open TorchSharp
open PowerClip.Data
open PowerClip.Model
open PowerClip.Train.Evaluation
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.ClipBpeFiles

let private root = Path.Combine(Path.GetTempPath(), "powerclip-tests", "tokenizer-" + Guid.NewGuid().ToString("N"))
let private file (name: string) =
    Path.Combine(root, Guid.NewGuid().ToString("N"), name)
    |> fun p -> (Directory.CreateDirectory(nonNull (Path.GetDirectoryName p)) |> ignore; p)

let private clipVocabulary = lazy (CaptionTokenizer.FromClipVocabulary small.Value).VocabSize

/// A tiny model in open_clip's layout for the small CLIP merges file: 32 px, patch 8, CLIP's vocabulary layout
/// (end token = the last id, open_clip's default argmax pooling), written as open_clip's JSON.
let private tinyOpenClipJson (vocab: int) (extra: string) =
    $$"""{"embed_dim": 32, "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 32, "head_width": 16,
  "layers": 2},
  "text_cfg": {"context_length": 16, "vocab_size": {{vocab}}, "width": 32, "heads": 2, "layers": 2 {{extra}} } }"""

let private writeModel (vocab: int) (extra: string) : string * string =
    let json = file "model.json"
    File.WriteAllText(json, tinyOpenClipJson vocab extra)
    let weights = Path.Combine(nonNull (Path.GetDirectoryName json), "open_clip_model.safetensors")
    torch.manual_seed 4L |> ignore
    use model = new ClipModel(Presets.Load json)
    Checkpoint.Save(model, weights)
    json, weights

let private benchmarks =
    lazy (
        let dir = Path.Combine(root, "bench")
        BenchmarkExporter(SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 5))).ExportAll(dir, 12, 1, 2)
            |> ignore
        dir)

let private trainArgs (out: string) (extra: string list) =
    [ "train"; "--out"; out; "--steps"; "2"; "--batch-size"; "4"; "--world-samples"; "8"; "--regions"; "2"; "--warmup";
      "1"
      "--checkpoint-every"; "2"; "--device"; "cpu"; "--threads"; "1" ] @ extra

[<Tests>]
let tests =
    testSequenced <| testList "tokenizer cli" [
        test "train records the tokenizer in config.json; readers of the checkpoint use it (clip:PATH, made absolute)" {
            let json = file "tiny-clip.json"
            File.WriteAllText(json, tinyOpenClipJson clipVocabulary.Value ", \"pool_type\": \"mean\"")
            let out = file "run"
            let r = run (trainArgs out [ "--model"; json; "--tokenizer"; "clip:" + small.Value ])
            Expect.equal r.ExitCode 0 $"trains (stderr: {r.Err})"
            let config = TrainConfig.Load(Path.Combine(out, "config.json"))
            Expect.equal config.Tokenizer ("clip:" + small.Value) "recorded"
            use loaded = TrainedModel.Load(out, torch.CPU)
            Expect.stringStarts loaded.Tokenizer.Name "clip:" "the reader's tokenizer is the run's"
            Expect.equal loaded.Tokenizer.VocabSize clipVocabulary.Value "CLIP's vocabulary of the file"
            Expect.equal (TrainConfig.Load(Path.Combine(out, "config.json")).ToJson()) (config.ToJson()) "round trip"
        }
        test "a config.json from before the tokenizer was recorded reads as gpt2" {
            let path = file "config.json"
            let json = TrainConfig(Model = "tiny").ToJson().Replace("\"tokenizer\": \"gpt2\",", "")
            Expect.isFalse (json.Contains "tokenizer") "no tokenizer key"
            File.WriteAllText(path, json)
            Expect.equal (TrainConfig.Load path).Tokenizer "gpt2" "the default"
        }
        test "vit-b-16 and --recipe paper without CLIP's file refuse to start, saying where the file comes from" {
            let r = run (trainArgs (file "run") [ "--model"; "vit-b-16" ])
            expectOneLineError r 2 "pass --tokenizer clip:PATH to bpe_simple_vocab_16e6.txt.gz"
            Expect.stringContains r.Err "src/open_clip/bpe_simple_vocab_16e6.txt.gz" "where it comes from"
            let missing = Path.Combine(root, "nowhere", "bpe_simple_vocab_16e6.txt.gz")
            let r = run (trainArgs (file "run") [ "--model"; "vit-b-16"; "--tokenizer"; "clip:" + missing ])
            expectOneLineError r 2 $"CLIP BPE file not found: {missing}"
            Expect.stringContains r.Err "open_clip ships it" "where it comes from"
            let r = run [ "train"; "--out"; file "run"; "--recipe"; "paper"; "--data"; "wds:shards/{0..9}.tar" ]
            expectOneLineError r 2 "--recipe paper uses CLIP's tokenizer"
            Expect.stringContains r.Err "src/open_clip/bpe_simple_vocab_16e6.txt.gz" "where it comes from"
        }
        test "a tokenizer whose vocabulary is not the model's is refused at start, naming both" {
            let r = run (trainArgs (file "run") [ "--model"; "tiny"; "--tokenizer"; "clip:" + small.Value ])
            expectOneLineError r 2 $"model 'tiny' has text_cfg.vocab_size 50258 but tokenizer clip:small_bpe.txt.gz \
                has {clipVocabulary.Value} ids"
            Expect.stringContains r.Err "pass --tokenizer gpt2" "the fix"
            let r = run (trainArgs (file "run") [ "--tokenizer"; "bert" ])
            expectOneLineError r 2 "--tokenizer: tokenizer 'bert' is not valid"
        }
        test "eval reads open_clip's files with no run folder: weights, model JSON, tokenizer" {
            let json, weights = writeModel clipVocabulary.Value ""
            let data = Path.Combine(benchmarks.Value, "zeroshot")
            let out = file "zs.json"
            let r = run [ "eval"; "zeroshot"; "--data"; data; "--checkpoint"; weights; "--model-config"; json
                          "--tokenizer"; "clip:" + small.Value; "--device"; "cpu"; "--out"; out ]
            Expect.equal r.ExitCode 0 $"evaluates (stderr: {r.Err})"
            Expect.stringContains r.Out $"checkpoint {weights}" "names the weights file"
            use model = TrainedModel.LoadOpenClip(weights, json, "clip:" + small.Value, torch.CPU)
            Expect.equal model.Model.Config.Text.Pool Pooling.Token "open_clip's default argmax pooling"
            let direct = BenchmarkSuite.RunOne(ModelEncoder(model, 64), "zeroshot", data)
            // eval --out wraps each score's results in an envelope (checkpoint, protocol default, scores).
            let root = nonNull (JsonNode.Parse(File.ReadAllText out))
            let written = (nonNull root["results"])["cosine"]
            Expect.isTrue (JsonNode.DeepEquals(written, JsonNode.Parse(ResultJson.Serialize<obj>(direct))))
                "the same numbers as the loader used directly"
        }
        test "eval on open_clip's files: each bad input is a one-line usage error naming the file or key" {
            let data = Path.Combine(benchmarks.Value, "zeroshot")
            let eval (args: string list) = run ([ "eval"; "zeroshot"; "--data"; data; "--device"; "cpu" ] @ args)
            let json, weights = writeModel clipVocabulary.Value ""
            expectOneLineError (eval [ "--checkpoint"; weights ]) 2 "give its --model-config MODEL.json and --tokenizer"
            let missing = Path.Combine(root, "nowhere.txt.gz")
            expectOneLineError (eval [ "--checkpoint"; weights; "--model-config"; json; "--tokenizer";
                                       "clip:" + missing ]) 2
                $"CLIP BPE file not found: {missing}"
            expectOneLineError (eval [ "--checkpoint"; weights; "--model-config"; json; "--tokenizer"; "gpt2" ]) 2
                $"has text_cfg.vocab_size {clipVocabulary.Value} but tokenizer gpt2 has 50258 ids"
            let badPool = file "pool.json"
            File.WriteAllText(badPool, tinyOpenClipJson clipVocabulary.Value ", \"pool_type\": \"attention\"")
            expectOneLineError (eval [ "--checkpoint"; weights; "--model-config"; badPool; "--tokenizer";
                                       "clip:" + small.Value ]) 2
                "text_cfg.pool_type 'attention' is not a pooling type"
            let broken = file "broken.json"
            File.WriteAllText(broken, "{\"embed_dim\": 32, \"vision_cfg\": ")
            expectOneLineError (eval [ "--checkpoint"; weights; "--model-config"; broken; "--tokenizer";
                                       "clip:" + small.Value ]) 2
                $"model config {broken}: not valid JSON"
            let wider = file "wider.json"
            File.WriteAllText(wider, (tinyOpenClipJson clipVocabulary.Value "").Replace("\"embed_dim\": 32",
                                                                                        "\"embed_dim\": 48"))
            expectOneLineError (eval [ "--checkpoint"; weights; "--model-config"; wider; "--tokenizer";
                                       "clip:" + small.Value ]) 2
                "has shape [32, 32], the model expects [32, 48]"
        }
    ]
