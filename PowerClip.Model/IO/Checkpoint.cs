using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// Saves and loads a <see cref="ClipModel"/> as safetensors with open_clip's state-dict names
/// (text tower at the top level: token_embedding, positional_embedding, transformer.*, ln_final,
/// text_projection), so that weights can be exchanged with PyTorch code.
/// </summary>
public static class Checkpoint
{
    private const string TextPrefix = "text.";

    /// <summary>The model's tensors under open_clip's names (shared with the model, not copies).</summary>
    public static Dictionary<string, Tensor> OpenClipStateDict(ClipModel model) =>
        model.state_dict().ToDictionary(kv => kv.Key.StartsWith(TextPrefix, StringComparison.Ordinal)
            ? kv.Key[TextPrefix.Length..] : kv.Key, kv => kv.Value);

    public static void Save(ClipModel model, string path) =>
        Safetensors.Save(path, OpenClipStateDict(model), new Dictionary<string, string> { ["format"] = "pt",
            ["powerclip_preset"] = model.Config.Name });

    /// <summary>Loads every tensor into the model (same names and shapes required; dtype and device follow the
    /// model).</summary>
    public static void Load(ClipModel model, string path)
    {
        var loaded = Safetensors.Load(path);
        try
        {
            var target = OpenClipStateDict(model);
            var missing = target.Keys.Except(loaded.Keys).Order(StringComparer.Ordinal).ToArray();
            var unexpected = loaded.Keys.Except(target.Keys).Order(StringComparer.Ordinal).ToArray();
            if (missing.Length > 0 || unexpected.Length > 0)
                throw new InvalidDataException($"{path}: state dict does not match model '{model.Config.Name}'" +
                    (missing.Length > 0
                        ? $"; missing: {string.Join(", ", missing.Take(5))}{(missing.Length > 5 ? ", …" : "")}" : "") +
                    (unexpected.Length > 0
                        ? $"; unexpected: {string.Join(", ", unexpected.Take(5))}" +
                          (unexpected.Length > 5 ? ", …" : "")
                        : ""));
            foreach (var (name, t) in target)
                if (!t.shape.SequenceEqual(loaded[name].shape))
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape " +
                        $"[{string.Join(", ", loaded[name].shape)}], the model expects [{string.Join(", ", t.shape)}]");
            using var noGrad = torch.no_grad();
            foreach (var (name, t) in target) t.copy_(loaded[name]);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }
}
