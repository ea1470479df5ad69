using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>Any module's whole state dict (parameters and buffers) as safetensors under its own names: an objective's
/// state beside the model's checkpoint.</summary>
public static class ModuleState
{
    public static void Save(nn.Module module, string path) =>
        Safetensors.Save(path, module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string,
            string> { ["format"] = "pt" });

    /// <summary>Loads every tensor (same names and shapes required; dtype and device follow the module).</summary>
    public static void Load(nn.Module module, string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"checkpoint is incomplete: {Path.GetFileName(path)} is missing in {Path.GetDirectoryName(path)}");
        var loaded = Safetensors.Load(path);
        try
        {
            var target = module.state_dict();
            var missing = target.Keys.Except(loaded.Keys).Order(StringComparer.Ordinal).ToArray();
            var unexpected = loaded.Keys.Except(target.Keys).Order(StringComparer.Ordinal).ToArray();
            if (missing.Length > 0 || unexpected.Length > 0)
                throw new InvalidDataException($"{path}: state does not match this objective" +
                    (missing.Length > 0 ? $"; missing: {string.Join(", ", missing.Take(5))}" : "") +
                    (unexpected.Length > 0 ? $"; unexpected: {string.Join(", ", unexpected.Take(5))}" : ""));
            foreach (var (name, t) in target)
                if (!t.shape.SequenceEqual(loaded[name].shape))
                {
                    var (got, want) = (string.Join(", ", loaded[name].shape), string.Join(", ", t.shape));
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape [{got}], expected [{want}]");
                }
            using var noGrad = torch.no_grad();
            foreach (var (name, t) in target) t.copy_(loaded[name]);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }
}
