/// CLIP's tokenizer as open_clip's SimpleTokenizer: the file layout, the ids, the cleaning, truncation, and the
/// ids of open_clip's algorithm re-run in Python (scripts/clip-tokenizer-reference.py) on the same merges.
module PowerClip.Train.Tests.ClipTokenizerTests

open System
open System.IO
open System.Text.Json
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.ClipBpeFiles

let private unpadded (t: TokenizedCaption) : int[] = t.Ids[.. t.Length - 1]

/// Captions that ftfy would leave as they are (the reference has no ftfy): ASCII, contractions, digits, punctuation
/// runs, accents in NFC, CJK, emoji, repeated letters, HTML entities, white space to collapse, upper case.
let private battery =
    [ "a photo of a cat."; "A Dog AND a Cat on the GRASS!!"; "the cat's toy isn't under the table; it'll be there"
      "2 dogs, 12 cats and 345 birds"; "naïve café déjà vu"; "東京の猫 and 🐱🐶 emoji"; "aaaa baaa aaab aaaaaaa"
      "A&amp;B &lt;b&gt; x&quot;y"; "   spaced \t out\n caption  "; "photographer's photographs (photos) --- ok?!"
      "hyphen-ated words and under_scores"; "a"; String.replicate 40 "the photographer photographs photos " ]

let private reference (bpe: string) (context: int) (captions: string list) : JsonElement =
    let script = Path.Combine(repoRoot (), "scripts", "clip-tokenizer-reference.py")
    let code, out, err = exec "/usr/bin/python3" [ script; bpe; string context ] (JsonSerializer.Serialize captions)
    Expect.equal code 0 $"reference script ran (stderr: {err})"
    JsonDocument.Parse(out).RootElement

let private agreeWithReference (bpe: string) (context: int) =
    let tok = CaptionTokenizer.FromClipVocabulary(bpe, context)
    let ref = reference bpe context battery
    Expect.equal (ref.GetProperty("vocab_size").GetInt32()) tok.VocabSize "vocabulary size"
    Expect.equal (ref.GetProperty("start").GetInt32(), ref.GetProperty("end").GetInt32()) (tok.StartId, tok.EndId)
        "special ids"
    for caption, ids in Seq.zip battery (ref.GetProperty("ids").EnumerateArray()) do
        let expected = ids.EnumerateArray() |> Seq.map (fun x -> x.GetInt32()) |> Array.ofSeq
        Expect.sequenceEqual (unpadded (tok.Encode caption)) expected $"ids of '{caption}' (context {context})"

[<Tests>]
let tests =
    testList "data.clip-tokenizer" [
        test "a file of the real one's size gives open_clip's layout: 49,408 ids, start 49406, end 49407" {
            let vocabulary = ClipVocabulary.Read full.Value
            Expect.equal vocabulary.Merges.Count 48894 "open_clip keeps lines 2 … 48,895: the 5 lines after them \
                are ignored"
            Expect.equal vocabulary.Ids.Count 49408 "256 bytes + 256 bytes</w> + 48,894 merges + 2"
            Expect.equal (vocabulary.Ids["!"], vocabulary.Ids["!</w>"]) (0, 256) "byte symbols, then the same with </w>"
            Expect.equal vocabulary.Ids[vocabulary.Merges[0].Replace(" ", "")] 512 "merges from 512 on"
            Expect.equal vocabulary.Ids[vocabulary.Merges[48893].Replace(" ", "")] 49405
                "the last merge just before the specials"
            let tok = CaptionTokenizer.FromClipVocabulary full.Value
            Expect.equal (tok.VocabSize, tok.StartId, tok.EndId, tok.ContextLength) (49408, 49406, 49407, 77)
                "CLIP's ids and context"
        }
        test "context 77: start, ids, end, zeros; a long caption keeps 75 ids and ends with the end token" {
            let tok = CaptionTokenizer.FromClipVocabulary small.Value
            let short = tok.Encode "a cat"
            Expect.equal short.Ids.Length 77 "context"
            Expect.equal short.Ids[0] tok.StartId "start first"
            Expect.equal short.Ids[short.Length - 1] tok.EndId "end after the caption"
            Expect.isTrue (short.Ids[short.Length ..] |> Array.forall ((=) 0))
                "zeros after the end token (open_clip's fill)"
            let long = tok.Encode(String.replicate 50 "a red chair ")
            Expect.isTrue long.Truncated "truncated"
            Expect.equal long.Length 77 "all 77 positions"
            Expect.equal (long.Ids[0], long.Ids[76]) (tok.StartId, tok.EndId) "the end token is kept on truncation"
            Expect.isFalse (long.Ids[1..75] |> Array.contains tok.EndId) "75 caption ids before it"
        }
        test "cleaning as CLIP's: HTML entities, ftfy's quotes, ligatures and widths, white space, then lower case" {
            Expect.equal (ClipTextCleaner.Clean "  A&amp;amp;B \u201cquoted\u201d it\u2019s  \
                          \ufb01sh\u3000\uff26\uff55\uff4c\uff4c\u0007 ")
                "A&B \"quoted\" it's fish Full" "cleaned text (case kept: lower-casing is the tokenizer's)"
            Expect.equal (ClipTextCleaner.Clean "\uff71\uff72 \uffe5") "\u30a2\u30a4 \u00a5"
                "halfwidth katakana and the yen sign (ftfy's width table)"
            Expect.equal (ClipTextCleaner.Clean "cafe\u0301") "cafe\u0301"
                "not NFC-normalized: a stated difference from ftfy"
            let tok = CaptionTokenizer.FromClipVocabulary small.Value
            let ids (s: string) = unpadded (tok.Encode s)
            Expect.sequenceEqual (ids "A PHOTO of a Cat") (ids "a photo of a cat") "lower case"
            Expect.sequenceEqual (ids "\u201cthe cat\u2019s toy\u201d") (ids "\"the cat's toy\"")
                "curly quotes read as straight ones"
            Expect.sequenceEqual (ids "a&amp;b") (ids "a&b") "entities decoded"
            Expect.equal (tok.Clean "  A  Cat ") "A Cat" "trees and word spans refer to the cleaned caption"
        }
        test "word spans follow the cleaned caption, and the special tokens' text is the special id (as open_clip)" {
            let tok = CaptionTokenizer.FromClipVocabulary small.Value
            let p = TreeAlignment.Prepare("A  Photographer\u2019s cat", tok)
            Expect.equal p.Caption "A Photographer's cat" "cleaned (case kept)"
            Expect.contains p.Tree.Words "Photographer's" "the tree's words are the cleaned caption's (straight \
                apostrophe)"
            let t = tok.Encode "a <end_of_text> b"
            Expect.equal t.Ids[2] tok.EndId "the text <end_of_text> is the end token"
        }
        test "a missing, headerless or malformed merges file is an error that names the file, the line and the source" {
            use dir = new DataTestFiles.TempDir()
            let missing = dir.File "nowhere.txt.gz"
            Expect.throwsT<FileNotFoundException> (fun () -> CaptionTokenizer.FromClipVocabulary missing |> ignore)
                "missing"
            let message (f: unit -> unit) = try f (); failtest "no exception" with e -> e.Message
            let m = message (fun () -> TokenizerSpec.Parse("clip:" + missing).Create(77) |> ignore)
            Expect.stringContains m missing "names the file"
            Expect.stringContains m "src/open_clip/bpe_simple_vocab_16e6.txt.gz" "says where it comes from"
            File.WriteAllText(dir.File "noheader.txt", "a b\nc d\n")
            Expect.stringContains (message (fun () -> ClipVocabulary.Read(dir.File "noheader.txt") |> ignore)) "line 1"
                "header"
            File.WriteAllText(dir.File "bad.txt", "#version: 0.2\na b\nabc\n")
            Expect.stringContains (message (fun () -> ClipVocabulary.Read(dir.File "bad.txt") |> ignore)) "line 3 'abc'"
                "bad line"
            File.WriteAllBytes(dir.File "junk.gz", [| 0x1fuy; 0x8buy; 1uy; 2uy; 3uy |])
            Expect.stringContains (message (fun () -> ClipVocabulary.Read(dir.File "junk.gz") |> ignore)) "junk.gz"
                "corrupt gzip"
        }
        test "tokenizer specs: gpt2 or clip:PATH (made absolute), anything else is refused" {
            Expect.isFalse (TokenizerSpec.Parse "gpt2").IsClip "gpt2"
            Expect.equal ((TokenizerSpec.Parse "gpt2").ToString()) "gpt2" "round trip"
            let spec = TokenizerSpec.Parse "clip:rel/bpe.txt.gz"
            Expect.equal spec.ClipFile (Path.GetFullPath "rel/bpe.txt.gz") "absolute path"
            Expect.equal (TokenizerSpec.Parse(spec.ToString())) spec "round trip"
            Expect.throwsT<ArgumentException> (fun () -> TokenizerSpec.Parse "bert" |> ignore) "unknown"
            Expect.throwsT<ArgumentException> (fun () -> TokenizerSpec.Parse "clip:" |> ignore) "no path"
            Expect.equal (TokenizerSpec.Parse("clip:" + small.Value).Create(16).ContextLength) 16 "context of the model"
        }
        test "GPT-2: id 0 is the real token '!', and the caption keeps it" {
            let t = CaptionTokenizer.Gpt2().Encode "wow! a dog"
            Expect.contains t.Ids[1 .. t.Length - 2] 0 "'!' is id 0 inside the caption"
            Expect.equal t.Ids[t.Length - 1] 50256 "then the end token"
        }
        test "ids equal open_clip's algorithm re-run in Python on the same merges (needs python3-regex)" {
            if not (pythonHas "regex") then skiptest "python3-regex is not installed (apt-get install -y python3-regex)"
            agreeWithReference small.Value 77
            agreeWithReference small.Value 16
            agreeWithReference full.Value 77
            // The real file, where a user has it: POWERCLIP_CLIP_BPE=/path/bpe_simple_vocab_16e6.txt.gz
            match Environment.GetEnvironmentVariable "POWERCLIP_CLIP_BPE" with
            | null | "" -> ()
            | real -> agreeWithReference real 77
        }
    ]
