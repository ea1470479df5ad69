using System.Text;
using TorchSharp;

namespace PowerClip.Train.Training.Distributed;

/// <summary>Small text exchanged between ranks (each rank's data position for rank 0's checkpoint).</summary>
public static class TextGather
{
    /// <summary>Every rank's <paramref name="text"/>, in rank order; a collective every rank must call.</summary>
    public static string[] AllGatherText(this IDistributedContext context, string text)
    {
        if (context.Size == 1) return [text];
        var bytes = Encoding.UTF8.GetBytes(text);
        var lengths = context.AllGather(bytes.Length).Select(l => (int)l).ToArray();
        using var local = torch.tensor(bytes, dtype: torch.uint8);
        using var all = context.AllGather(local);
        var joined = all.data<byte>().ToArray();
        var result = new string[context.Size];
        for (int r = 0, offset = 0; r < context.Size; offset += lengths[r], r++)
            result[r] = Encoding.UTF8.GetString(joined, offset, lengths[r]);
        return result;
    }
}
