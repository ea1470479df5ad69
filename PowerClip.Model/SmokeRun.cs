using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>A seeded forward/backward/optimizer loop on a tiny MLP: proves the native stack end to end.</summary>
public static class SmokeRun
{
    /// <returns>The loss before the first and after the last step.</returns>
    public static (double First, double Last) Run(Device device, int steps, int seed)
    {
        torch.manual_seed(seed);
        using var model = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 1));
        model.to(device);
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);
        using var x = torch.randn(64, 8, device: device);
        using var y = x.sum(1, keepdim: true).sin();
        double first = double.NaN, last = double.NaN;
        for (var i = 0; i <= steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            var value = loss.item<float>();
            if (i == 0) first = value;
            last = value;
            if (i == steps) break;
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return (first, last);
    }
}
