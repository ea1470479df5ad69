using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// open_clip's weight-decay split: gains, biases, LayerNorm, embeddings of rank &lt; 2 and the logit
/// scale are not decayed; every matrix is.
/// </summary>
public static class ParameterGroups
{
    public static (List<Parameter> Decay, List<Parameter> NoDecay) Split(nn.Module module)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in module.named_parameters())
        {
            if (!p.requires_grad) continue;
            var exclude = p.dim() < 2 || name.Contains("ln_", StringComparison.Ordinal)
                || name.Contains(".ln", StringComparison.Ordinal)
                          || name.EndsWith("bias", StringComparison.Ordinal)
                              || name.Contains("logit_scale", StringComparison.Ordinal);
            (exclude ? noDecay : decay).Add(p);
        }
        return (decay, noDecay);
    }
}
