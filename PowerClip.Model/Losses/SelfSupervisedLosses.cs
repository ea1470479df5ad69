using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>A-CLIP's auxiliary losses (as in SLIP's and A-CLIP's code). Specification:
/// PowerClip.Spec.SelfSupervised.</summary>
public static class SelfSupervisedLosses
{
    /// <summary>
    /// SimCLR's NT-Xent between two views a, b [B, P] (normalised here): for image i of view a the positive is
    /// b_i, the negatives every other b_j and every other a_j; (loss_a + loss_b)/2, temperature τ.
    /// </summary>
    public static Tensor SimClr(Tensor a, Tensor b, double temperature)
    {
        InputChecks.SameBatch(a.shape[0], "SimCLR view a", b.shape[0], "SimCLR view b");
        using var scope = torch.NewDisposeScope();
        var qa = nn.functional.normalize(a, dim: -1);
        var qb = nn.functional.normalize(b, dim: -1);
        var n = a.shape[0];
        var self = torch.eye(n, dtype: ScalarType.Bool, device: a.device);
        var ab = torch.matmul(qa, qb.t()) / temperature;
        var aa = (torch.matmul(qa, qa.t()) / temperature).masked_fill(self, double.NegativeInfinity);
        var bb = (torch.matmul(qb, qb.t()) / temperature).masked_fill(self, double.NegativeInfinity);
        var labels = torch.arange(n, device: a.device);
        var lossA = nn.functional.cross_entropy(torch.cat([ab, aa], 1), labels);
        var lossB = nn.functional.cross_entropy(torch.cat([ab.t(), bb], 1), labels);
        return ((lossA + lossB) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// BYOL's regression loss, mean over images and views of 2 − 2·cos(p_iv, z_i): online predictions
    /// <paramref name="online"/> [B, V, P] against the EMA target <paramref name="target"/> [B, P] (no gradient).
    /// </summary>
    public static Tensor Byol(Tensor online, Tensor target)
    {
        InputChecks.SameBatch(online.shape[0], "BYOL predictions", target.shape[0], "BYOL targets");
        using var scope = torch.NewDisposeScope();
        var p = nn.functional.normalize(online, dim: -1);
        var z = nn.functional.normalize(target.detach(), dim: -1).unsqueeze(1);
        return (2 - 2 * (p * z).sum(-1)).mean().MoveToOuterDisposeScope();
    }
}
