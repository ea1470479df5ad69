using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// What the trainer needs from a model + loss + data combination. The trainer owns the optimizer,
/// schedule, accumulation, clipping, checkpoints and logging; the trainable owns the forward pass.
/// </summary>
public interface ITrainable
{
    /// <summary>The module whose parameters are trained and whose state dict is checkpointed.</summary>
    nn.Module Module { get; }

    /// <summary>Samples in one micro-batch (for samples/s).</summary>
    int MicroBatchSize { get; }

    /// <summary>
    /// The mean loss of micro-batch <paramref name="microBatch"/> of optimizer step <paramref name="step"/>.
    /// Must depend only on (seed, step, microBatch) and the weights, so that a resumed run repeats an
    /// uninterrupted one exactly; the trainer reseeds torch's generator before each step. Extra scalar
    /// metrics (loss parts, logit scale) go into <paramref name="metrics"/>.
    /// </summary>
    Tensor Loss(int step, int microBatch, IDictionary<string, double> metrics);

    /// <summary>Called after each optimizer step (e.g. to clamp CLIP's logit scale at 100).</summary>
    void AfterOptimizerStep();

    /// <summary>Writes the weights as safetensors (a CLIP model overrides this to use open_clip's key names).</summary>
    void SaveWeights(string path) => Module.save_safetensors(path);

    /// <summary>Reads weights written by <see cref="SaveWeights"/>.</summary>
    void LoadWeights(string path) => Module.load_safetensors(path);
}
