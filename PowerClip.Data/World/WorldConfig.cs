namespace PowerClip.Data;

public enum WorldSplit { Train, Test }

/// <summary>
/// Settings of the synthetic compositional world. Defaults match the paper's input (224 px, patch 16 →
/// 14×14 grid); the CPU presets use smaller images (e.g. 64 px, patch 8). <see cref="Seed"/> fixes the samples,
/// <see cref="SplitSeed"/> fixes which colour×shape and relation combinations are held out of training
/// (keep it fixed across train and test runs). One in <see cref="HeldOutEvery"/> combinations is held out.
/// </summary>
public sealed record WorldConfig(
    int ImageSize = 224,
    int PatchSize = 16,
    int MinObjects = 1,
    int MaxObjects = 4,
    int Seed = 0,
    int SplitSeed = 0,
    int HeldOutEvery = 5)
{
    public int GridSize => ImageSize / PatchSize;

    public WorldConfig Validate()
    {
        if (ImageSize < 16) throw new ArgumentException($"world image size must be at least 16 px, got {ImageSize}");
        if (PatchSize < 1 || ImageSize % PatchSize != 0) throw new ArgumentException(
            $"world patch size {PatchSize} must divide the image size {ImageSize}");
        if (MinObjects < 1 || MaxObjects < MinObjects || MaxObjects > 4) throw new ArgumentException(
            $"world object count must satisfy 1 <= min ({MinObjects}) <= max ({MaxObjects}) <= 4");
        // With 2 the arithmetic pattern would hold out every shape of half the colours.
        if (HeldOutEvery < 3) throw new ArgumentException($"held-out-every must be at least 3, got {HeldOutEvery}");
        return this;
    }
}
