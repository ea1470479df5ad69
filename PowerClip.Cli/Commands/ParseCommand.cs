using System.CommandLine;
using PowerClip.Data;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>`powerclip parse "a dog sitting on a red chair"`: the built-in parser's tree, and optionally its loss view
/// (token spans, nodes).</summary>
public static class ParseCommand
{
    public static Command Create()
    {
        var caption = new Argument<string>("caption") { Description = "The caption to parse (quote it)" };
        var tree = new Option<string?>("--tree") { Description = "Use this PTB bracket tree instead of the built-in " +
            "parser (checked against the caption)" };
        var spans = new Option<bool>("--spans") { Description = "Also print the GPT-2 BPE token span of each word " +
            "and the node set (leaf indices)" };
        var leaves = new Option<bool>("--leaves-as-nodes") { Description = "Include single words in the node set" };
        var bpe = new Option<string?>("--bpe") { Description = "CLIP BPE merges file " +
            "(bpe_simple_vocab_16e6.txt[.gz]) for --spans; default: GPT-2 BPE, shipped in the package" };
        var command = new Command("parse", "Print a caption's constituency tree (PTB brackets) from the built-in " +
            "deterministic parser") { caption, tree, spans, leaves, bpe };
        command.SetAction(result =>
        {
            var text = result.GetValue(caption) ?? "";
            if (string.IsNullOrWhiteSpace(text)) throw new UsageException("the caption is empty");
            var ptb = result.GetValue(tree);
            // A shipped tree that does not fit is an error here (training would replace it by the parser's tree).
            if (ptb is not null) TreeAlignment.AlignWords(CaptionText.Normalize(text), PtbBrackets.Parse(ptb).Words);
            var tokenizer = result.GetValue(bpe) is { } path
                ? DataCommand.ClipTokenizer(path) : CaptionTokenizer.Gpt2();
            var prepared = TreeAlignment.Prepare(text, tokenizer, ptb, null, "caption", result.GetValue(leaves));
            Console.WriteLine(prepared.Tree.ToBracketString());
            if (!result.GetValue(spans)) return 0;
            var words = prepared.Tree.Words;
            Console.WriteLine("words: " + string.Join(" ", words.Select((w, i) =>
                $"{i}:{w}[{prepared.Tokens.WordSpans[i].Start},{prepared.Tokens.WordSpans[i].End})")));
            Console.WriteLine("leaf spans: " + string.Join(" ",
                prepared.Loss.LeafSpans.Select(s => $"[{s.Start},{s.End})")));
            Console.WriteLine("nodes: " + string.Join(" ", prepared.Loss.Nodes.Select(n => "{" + string.Join(",", n)
                + "}")));
            return 0;
        });
        return command;
    }
}
