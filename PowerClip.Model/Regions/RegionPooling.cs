using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>Region embeddings φ_m = normalize(Σ_n R_mn v_n): masked pooling of the single full-image pass.</summary>
public static class RegionPooling
{
    /// <param name="patchTokens">projected patch tokens v [B, N, E]</param>
    /// <param name="masks">region masks R [B, M, N]</param>
    /// <returns>φ [B, M, E], unit vectors</returns>
    public static Tensor Embed(Tensor patchTokens, Tensor masks)
    {
        InputChecks.Shape(patchTokens, "patch tokens", -1, -1, -1);
        RegionMasks.Validate(masks, (int)patchTokens.shape[0], (int)patchTokens.shape[1]);
        using var scope = torch.NewDisposeScope();
        var pooled = torch.matmul(masks.to(patchTokens.dtype, patchTokens.device), patchTokens);
        return nn.functional.normalize(pooled, dim: -1).MoveToOuterDisposeScope();
    }
}
