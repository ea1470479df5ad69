using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>Bad-input checks shared by the encoders and losses: each throws an ArgumentException naming the problem and
/// the sample.</summary>
public static class InputChecks
{
    /// <summary>Requires the given shape; −1 matches any size.</summary>
    public static void Shape(Tensor t, string name, params long[] dims)
    {
        var ok = t.dim() == dims.Length && dims.Select((d, i) => d < 0 || d == t.shape[i]).All(x => x);
        if (!ok)
            throw new ArgumentException($"{name} has shape [{string.Join(", ", t.shape)}], expected " +
                $"[{string.Join(", ", dims.Select(d => d < 0 ? "*" : d.ToString()))}]");
    }

    /// <summary>Throws when any entry is NaN or infinite, naming the first offending sample (index along dim
    /// 0).</summary>
    public static void Finite(Tensor t, string name)
    {
        using var scope = torch.NewDisposeScope();
        var bad = torch.isfinite(t).logical_not();
        if (!bad.any().item<bool>()) return;
        var perSample = t.dim() > 1 ? bad.flatten(1).any(1) : bad;
        var index = perSample.nonzero()[0, 0].item<long>();
        throw new ArgumentException($"{name} has non-finite values (NaN or ±∞) in sample {index}");
    }

    /// <summary>Requires equal batch sizes, naming both.</summary>
    public static void SameBatch(long a, string aName, long b, string bName)
    {
        if (a != b) throw new ArgumentException($"batch sizes differ: {aName} has {a} samples but {bName} has {b}");
    }

    /// <summary>Token ids: int64 [B, S], S ≤ context, ids in the vocabulary, an end token in every row after position
    /// 0.</summary>
    public static void Tokens(Tensor tokens, TextConfig cfg)
    {
        if (tokens.dtype != ScalarType.Int64) throw new ArgumentException($"tokens must be int64, got {tokens.dtype}");
        Shape(tokens, "tokens", -1, -1);
        if (tokens.shape[1] > cfg.ContextLength)
            throw new ArgumentException($"tokens have {tokens.shape[1]} positions, more than the context length " +
                $"{cfg.ContextLength}");
        using var scope = torch.NewDisposeScope();
        var outOfRange = tokens.lt(0).logical_or(tokens.ge(cfg.VocabSize)).any(1);
        if (outOfRange.any().item<bool>())
            throw new ArgumentException($"token ids outside the vocabulary [0, {cfg.VocabSize}) in sample " +
                $"{outOfRange.nonzero()[0, 0].item<long>()}");
        // The caption's length comes from its end token, never from a padding id (0 is a real token).
        var unended = tokens.eq(cfg.EndId).any(1).logical_not();
        if (unended.any().item<bool>())
            throw new ArgumentException($"caption has no end token (id {cfg.EndId}) in sample " +
                $"{unended.nonzero()[0, 0].item<long>()}");
        if (tokens.shape[1] > 0 && tokens[.., 0].eq(cfg.EndId).any().item<bool>())
            throw new ArgumentException($"caption is empty (end token at position 0) in sample " +
                $"{tokens[.., 0].eq(cfg.EndId).nonzero()[0, 0].item<long>()}");
    }
}
