module PowerClip.Train.Tests.DataTextTests

open System
open Expecto
open PowerClip.Data

let private nodes (t: ConstituencyTree) (leaves: bool) = t.Nodes(leaves) |> Array.map List.ofArray |> List.ofArray

let private gpt2 = lazy (CaptionTokenizer.Gpt2())

/// Token spans as F# tuples (C# value tuples are struct tuples here).
let spans (a: struct (int * int)[]) : (int * int)[] = a |> Array.map (fun (struct (s, e)) -> (s, e))

[<Tests>]
let ptb =
    testList "data.ptb" [
        test "a bracket tree reads, writes back and gives phrase nodes as sorted leaf sets" {
            let t = PtbBrackets.Parse "(ROOT (S (NP (DT a) (NN dog)) (VP (VBZ runs) (PP (IN on) (NP (DT the) (NN \
                        grass))))))"
            Expect.sequenceEqual t.Words [ "a"; "dog"; "runs"; "on"; "the"; "grass" ] "leaves in order"
            Expect.equal (t.ToBracketString()) "(S (NP (DT a) (NN dog)) (VP (VBZ runs) (PP (IN on) (NP (DT the) (NN \
                grass)))))" "ROOT wrapper dropped"
            Expect.equal (nodes t false) [ [0..5]; [0; 1]; [2..5]; [3..5]; [4; 5] ] "pre-order phrases + root"
            let withLeaves = nodes t true
            Expect.equal withLeaves.Length (5 + 6) "leaves added once each"
            for i in 0..5 do Expect.contains withLeaves [ i ] $"leaf {i} is a node"
        }
        test "a unary chain gives one node, and PTB escapes become brackets" {
            let t = PtbBrackets.Parse "( (NP (NP (NN cake)) (-LRB- -LRB-) (NN slice) (-RRB- -RRB-)))"
            Expect.sequenceEqual t.Words [ "cake"; "("; "slice"; ")" ] "unescaped"
            Expect.equal (nodes t false) [ [0..3] ] "NP over a single word is not a phrase node; root kept"
            Expect.stringContains (t.ToBracketString()) "(-LRB- -LRB-)" "escaped again when written"
        }
        test "malformed trees are one clear error" {
            let err (s: string) = Expect.throwsT<FormatException> (fun () -> PtbBrackets.Parse s |> ignore) s
            err "(NP (DT a) (NN dog)"
            err "(NP (DT a)) extra"
            err "NP a dog"
            err ""
            err "(NP ())"
            let message = try PtbBrackets.Parse "(S (NP (DT a)" |> ignore; "" with :? FormatException as e -> e.Message
            Expect.stringContains message "never closed" "names the problem"
        }
    ]

/// The built-in parser on typical captions: the expected trees were checked by hand against PTB conventions.
let private typical =
    [ "a dog sitting on a red chair",
      "(NP (NP (DT a) (NN dog)) (VP (VBG sitting) (PP (IN on) (NP (DT a) (JJ red) (NN chair)))))"
      "two dogs are playing in the snow.",
      "(S (NP (CD two) (NNS dogs)) (VP (VBP are) (VP (VBG playing) (PP (IN in) (NP (DT the) (NN snow))))) (. .))"
      "a man riding a horse on the beach",
      "(NP (NP (DT a) (NN man)) (VP (VBG riding) (NP (NP (DT a) (NN horse)) (PP (IN on) (NP (DT the) (NN beach))))))"
      "a large white airplane flying through a blue sky",
      "(NP (NP (DT a) (JJ large) (JJ white) (NN airplane)) (VP (VBG flying) (PP (IN through) (NP (DT a) (JJ blue) \
          (NN sky)))))"
      "a cat that is sleeping on a couch",
      "(NP (NP (DT a) (NN cat)) (SBAR (WHNP (WDT that)) (S (VP (VBZ is) (VP (VBG sleeping) (PP (IN on) (NP (DT a) (NN \
          couch))))))))"
      "people standing next to a train",
      "(NP (NP (NN people)) (VP (VBG standing) (PP (IN next) (IN to) (NP (DT a) (NN train)))))"
      "a red circle is left of a blue square and a green star",
      "(S (S (NP (DT a) (JJ red) (NN circle)) (VP (VBZ is) (PP (IN left) (IN of) (NP (DT a) (JJ blue) (NN square))))) \
          (CC and) (NP (DT a) (JJ green) (NN star)))"
      "a cup of coffee and a donut",
      "(NP (NP (NP (DT a) (NN cup)) (PP (IN of) (NP (NN coffee)))) (CC and) (NP (DT a) (NN donut)))"
      "the man rides a bike",
      "(S (NP (DT the) (NN man)) (VP (VBZ rides) (NP (DT a) (NN bike))))" ]

[<Tests>]
let parser =
    testList "data.parser" [
        for caption, expected in typical do
            test $"parses '{caption}'" {
                Expect.equal ((CaptionParser.Parse caption).ToBracketString()) expected "tree"
            }
        test "the parser is deterministic and its leaves are the caption's words" {
            let c = "  A  brown dog, catching a frisbee in the park  "
            let t1, t2 = CaptionParser.Parse c, CaptionParser.Parse c
            Expect.equal (t1.ToBracketString()) (t2.ToBracketString()) "same tree"
            Expect.sequenceEqual t1.Words [ "A"; "brown"; "dog"; ","; "catching"; "a"; "frisbee"; "in"; "the"; "park" ]
                "words"
        }
        test "any word sequence parses: leaves are the words, nodes are valid leaf sets, the root covers all" {
            let vocab = [| "a"; "the"; "two"; "dog"; "dogs"; "red"; "is"; "are"; "sitting"; "parked"; "on"; "next";
                           "to"; "left"; "of"
                           "and"; "that"; "who"; "very"; "quickly"; ","; "."; "!"; "it"; "his"; "3"; "man's"
                           "well-known"; "(" |]
            let rng = Random 17
            for _ in 1..500 do
                let words = Array.init (rng.Next(1, 14)) (fun _ -> vocab[rng.Next vocab.Length])
                let t = CaptionParser.Parse(String.Join(" ", words))
                Expect.sequenceEqual t.Words words (String.Join(" ", words))
                let n = t.Nodes()
                Expect.equal (List.ofArray n[0]) [ 0 .. words.Length - 1 ] "the root comes first and covers every leaf"
                for node in n do
                    Expect.equal node (Array.sort (Array.distinct node)) "sorted, distinct"
                Expect.equal (PtbBrackets.Parse(t.ToBracketString()).ToBracketString()) (t.ToBracketString())
                    "brackets round-trip"
        }
        test "an empty caption is an error" {
            Expect.throwsT<ArgumentException> (fun () -> CaptionParser.Parse "   " |> ignore) "empty"
        }
    ]

[<Tests>]
let tokenizer =
    testList "data.tokenizer" [
        test "GPT-2 BPE: SOT, one token per common word, EOT, padding to 77" {
            let tok = gpt2.Force()
            let t = tok.Encode "a dog sitting on a red chair"
            Expect.equal t.Ids.Length 77 "context length"
            Expect.equal t.Ids[0] tok.StartId "SOT first"
            Expect.equal t.Length 9 "SOT + 7 words + EOT"
            Expect.equal t.Ids[8] tok.EndId "EOT after the last token"
            Expect.isTrue (t.Ids[9..] |> Array.forall ((=) CaptionTokenizer.PadId)) "padding"
            Expect.sequenceEqual (spans t.WordSpans) [ for i in 1..7 -> (i, i + 1) ] "one token per word"
            Expect.equal (tok.Decode t) "a dog sitting on a red chair" "decodes back"
            Expect.equal tok.VocabSize 50258 "GPT-2 vocabulary plus SOT"
        }
        test "a rare word spans several tokens and spans tile the caption without gaps" {
            let tok = gpt2.Force()
            let caption = "a hippopotamus, wallowing in the Okavango's mud"
            let t = tok.Encode caption
            let words = CaptionText.Split caption
            let ws = spans t.WordSpans
            Expect.equal ws.Length words.Length "a span per word"
            let hippo = ws[1]
            Expect.isGreaterThan (snd hippo - fst hippo) 1 "hippopotamus is several BPE tokens"
            Expect.equal (fst ws[0]) 1 "first word starts after SOT"
            for i in 1 .. ws.Length - 1 do
                Expect.equal (fst ws[i]) (snd ws[i - 1]) $"word {i} starts where word {i - 1} ends"
            Expect.equal (snd ws[ws.Length - 1]) (t.Length - 1) "last word ends at EOT"
        }
        test "truncation keeps 75 tokens then EOT, and the loss tree drops the words cut off" {
            let tok = gpt2.Force()
            let caption = String.Join(" and ", Array.init 60 (fun i -> $"a red cube {i}"))
            let p = TreeAlignment.Prepare(caption, tok)
            Expect.isTrue p.Tokens.Truncated "truncated"
            Expect.equal p.Tokens.Length 77 "full context"
            Expect.equal p.Tokens.Ids[76] tok.EndId "EOT last"
            Expect.isLessThan p.Loss.LeafSpans.Length p.Tree.LeafCount "leaves were dropped"
            for (s, e) in spans p.Loss.LeafSpans do
                Expect.isTrue (1 <= s && s < e && e <= 76) $"span [{s},{e}) inside the kept tokens"
            for n in p.Loss.Nodes do
                Expect.isTrue (n.Length > 0 && n |> Array.forall (fun l -> l >= 0 && l < p.Loss.LeafSpans.Length))
                    "node indices valid"
                Expect.equal n (Array.sort n) "sorted"
            Expect.equal (p.Loss.Nodes |> Array.distinctBy (fun n -> String.Join(",", n))).Length p.Loss.Nodes.Length
                "no duplicate nodes"
        }
        test "loss view: punctuation leaves dropped, root and phrases kept" {
            let p = TreeAlignment.Prepare("a dog on a couch.", gpt2.Force())
            Expect.equal p.Tree.LeafCount 6 "the period is a leaf of the tree"
            Expect.equal p.Loss.LeafSpans.Length 5 "but not of the loss"
            Expect.equal (p.Loss.Nodes |> Array.map List.ofArray |> List.ofArray) [ [0..4]; [0; 1]; [2..4]; [3; 4] ]
                "phrases + root"
        }
        test "a CLIP vocabulary file gives CLIP's ids: byte symbols, </w> symbols, merges, then SOT and EOT" {
            use dir = new DataTestFiles.TempDir()
            IO.File.WriteAllText(dir.File "bpe.txt", "#version: 0.2\nd o\nc a\nca t</w>\ndo g</w>\n")
            let tok = CaptionTokenizer.FromClipVocabulary(dir.File "bpe.txt")
            Expect.equal tok.VocabSize (512 + 4 + 2) "bytes, bytes</w>, merges, specials"
            Expect.equal (tok.StartId, tok.EndId) (516, 517) "specials last"
            let t = tok.Encode "a Dog cat dogs"
            // CLIP orders byte symbols printable-first from '!', so "a" is 97−33 = 64 and "a</w>" is 256+64.
            // "dogs" = d o g s</w> → "do" (512), "g" (103−33 = 70), "s</w>" (256+115−33 = 338).
            Expect.sequenceEqual t.Ids[.. t.Length - 1] [ 516; 320; 515; 514; 512; 70; 338; 517 ] "ids"
            Expect.sequenceEqual (spans t.WordSpans) [ (1, 2); (2, 3); (3, 4); (4, 7) ] "word spans"
            Expect.throwsT<IO.FileNotFoundException>
                (fun () -> CaptionTokenizer.FromClipVocabulary(dir.File "missing.txt") |> ignore) "missing file"
        }
        test "the loss view converts one-to-one to the specification's ParseTree and passes its checks" {
            let tok = gpt2.Force()
            for caption in [ for c, _ in typical -> c ] @ [ "a hippopotamus, wallowing in the Okavango's mud!" ] do
                let p = TreeAlignment.Prepare(caption, tok)
                let tree: PowerClip.Spec.ParseTree = { LeafCount = p.Loss.LeafSpans.Length; Nodes = p.Loss.Nodes }
                PowerClip.Spec.Validate.tree tree
                Expect.contains (tree.Nodes |> Array.map List.ofArray) [ 0 .. tree.LeafCount - 1 ]
                    $"root is a node: {caption}"
        }
        test "a shipped PTB tree is used; a tree that does not fit the caption is counted and replaced by \
            the parser's" {
            let tok = gpt2.Force()
            let good = TreeAlignment.Prepare("A dog runs", tok, "(S (NP (DT a) (NN dog)) (VP (VBZ runs)))")
            Expect.equal (good.Tree.ToBracketString()) "(S (NP (DT a) (NN dog)) (VP (VBZ runs)))" "shipped tree"
            let problems = DataProblems()
            let bad = TreeAlignment.Prepare("a dog runs", tok, "(S (NP (DT a) (NN cat)) (VP (VBZ runs)))", problems,
                                            "k1")
            Expect.equal (problems.Count "bad tree") 1 "counted"
            Expect.sequenceEqual bad.Tree.Words [ "a"; "dog"; "runs" ] "parser's tree instead"
        }
    ]
