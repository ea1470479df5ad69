using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// A record's place in its source, enough to read it again without reading what precedes it: the shard's
/// ordinal in the epoch's shard order (0 for a single table or an in-memory order) and the offset in it
/// (a tar byte offset, a table row, an index into the epoch's order).
/// </summary>
public readonly record struct RecordRef(int Shard, long Offset);

/// <summary>A record as read, with where it starts and where the reading continues after it.</summary>
public readonly record struct SourceRecord<T>(RecordRef At, RecordRef After, T Record);

/// <summary>An item of a data stream with the stream's position just after it.</summary>
public sealed record Positioned<T>(T Item, DataPosition After);

/// <summary>
/// Where one rank's data stream stands after the last item it consumed — what a checkpoint records so that
/// a resumed run reads exactly the items an uninterrupted one would, without reading or decoding the items
/// before the position:
/// <list type="bullet">
/// <item><see cref="Epoch"/>;</item>
/// <item><see cref="Emitted"/>: how many records the epoch's shuffle has emitted (it is also the shuffle's draw
/// counter, <see cref="ShuffleDraw"/>, and the phase of a rank stride);</item>
/// <item><see cref="Cursor"/>: where reading continues (the next record to enter the shuffle buffer);</item>
/// <item><see cref="Buffer"/>: the records in the shuffle buffer, by reference, in slot order;</item>
/// <item><see cref="Source"/>: which data this is (<see cref="IResumableSource.Identity"/>), so that resuming on
/// other data is an error, not a silently different sequence ("" at the start of an epoch: any source).</item>
/// </list>
/// </summary>
public sealed record DataPosition(int Epoch, long Emitted, RecordRef Cursor, ImmutableList<RecordRef> Buffer,
                                  string Source = "")
{
    /// <summary>The start of epoch <paramref name="epoch"/>: nothing emitted, nothing buffered.</summary>
    public static DataPosition Start(int epoch) => new(epoch, 0, default, []);

    public JsonObject ToJson() => new()
    {
        ["epoch"] = Epoch,
        ["emitted"] = Emitted,
        ["cursor"] = Ref(Cursor),
        ["buffer"] = new JsonArray(Buffer.Select(r => (JsonNode)Ref(r)).ToArray()),
        ["source"] = Source,
    };

    /// <summary>
    /// Reads <see cref="ToJson"/>'s form; a missing or malformed field is a FormatException naming it.
    /// </summary>
    public static DataPosition FromJson(JsonNode? node)
    {
        if (node is not JsonObject o) throw new FormatException("data position: expected a JSON object");
        try
        {
            var epoch = Field(o, "epoch").GetValue<int>();
            var emitted = Field(o, "emitted").GetValue<long>();
            var cursor = ParseRef(Field(o, "cursor"));
            var buffer = Field(o, "buffer").AsArray().Select(ParseRef).ToImmutableList();
            var source = o["source"]?.GetValue<string>() ?? "";
            if (epoch < 0 || emitted < 0)
                throw new FormatException($"data position: epoch {epoch} and emitted {emitted} must be >= 0");
            return new DataPosition(epoch, emitted, cursor, buffer, source);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NullReferenceException)
        {
            throw new FormatException($"data position: {e.Message}", e);
        }
    }

    private static JsonArray Ref(RecordRef r) => [r.Shard, r.Offset];

    private static RecordRef ParseRef(JsonNode? n) =>
        n is JsonArray { Count: 2 } a ? new RecordRef(a[0]!.GetValue<int>(), a[1]!.GetValue<long>())
            : throw new FormatException("data position: a record reference must be [shard, offset]");

    private static JsonNode Field(JsonObject o, string name) =>
        o[name] ?? throw new FormatException($"data position: missing '{name}'");
}
