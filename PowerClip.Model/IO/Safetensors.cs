using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data),
/// written and read here directly so that names, dtypes and bytes round-trip exactly.
/// </summary>
public static class Safetensors
{
    private static readonly (ScalarType Type, string Code)[] Codes =
    [
        (ScalarType.Float64, "F64"), (ScalarType.Float32, "F32"), (ScalarType.Float16, "F16"),
            (ScalarType.BFloat16, "BF16"),
        (ScalarType.Int64, "I64"), (ScalarType.Int32, "I32"), (ScalarType.Int16, "I16"), (ScalarType.Int8, "I8"),
        (ScalarType.Byte, "U8"), (ScalarType.Bool, "BOOL"),
    ];

    /// <summary>Writes the tensors (any device; copied to the CPU) and optional string metadata.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv =>
                KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var cpu = t.detach().cpu().contiguous();
            var bytes = cpu.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = Code(t.dtype, name),
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;   // the format recommends 8-byte alignment of the data
        using var stream = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var b in blobs) stream.Write(b);
    }

    /// <summary>Reads every tensor (on the CPU); throws InvalidDataException naming the file and entry on malformed
    /// input.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var stream = File.OpenRead(path);
        var lenBytes = new byte[8];
        stream.ReadExactly(lenBytes);
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen == 0 || headerLen > (ulong)Math.Min(stream.Length - 8, 100_000_000))
            throw new InvalidDataException($"{path}: header length {headerLen} does not fit the file " +
                $"({stream.Length} bytes)");
        var json = new byte[headerLen];
        stream.ReadExactly(json);
        var header = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException(
            $"{path}: header is not a JSON object");
        long dataStart = 8 + (long)headerLen, dataLen = stream.Length - dataStart;
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var dtype = Type((string?)node?["dtype"] ?? "", name);
                var shape = (node?["shape"] as JsonArray ?? throw new InvalidDataException("no shape"))
                    .Select(d => (long)d!).ToArray();
                var offs = (node?["data_offsets"] as JsonArray ?? throw new InvalidDataException("no data_offsets"))
                    .Select(d => (long)d!).ToArray();
                var t = torch.empty(shape, dtype: dtype);
                var expected = t.NumberOfElements * t.ElementSize;
                if (offs.Length != 2 || offs[0] < 0 || offs[1] > dataLen || offs[1] - offs[0] != expected)
                    throw new InvalidDataException($"data_offsets [{string.Join(", ", offs)}] do not match shape " +
                        $"[{string.Join(", ", shape)}] or the file size");
                var bytes = new byte[expected];
                stream.Position = dataStart + offs[0];
                stream.ReadExactly(bytes);
                t.bytes = bytes;
                result[name] = t;
            }
            catch (Exception e) when (
                e is InvalidDataException or InvalidOperationException or FormatException or ArgumentException)
            {
                foreach (var t in result.Values) t.Dispose();
                throw new InvalidDataException($"{path}: tensor '{name}': {e.Message}", e);
            }
        }
        return result;
    }

    private static string Code(ScalarType type, string name) =>
        Codes.FirstOrDefault(c => c.Type == type).Code ?? throw new ArgumentException(
            $"tensor '{name}': dtype {type} has no safetensors code");

    private static ScalarType Type(string code, string name)
    {
        foreach (var c in Codes) if (c.Code == code) return c.Type;
        throw new InvalidDataException($"unsupported dtype '{code}'");
    }
}
