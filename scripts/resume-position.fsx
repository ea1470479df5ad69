// The data position a `powerclip train` run on WebDataset shards holds after its first SAMPLES samples (steps ×
// batch), computed from the raw records alone: the shards are read in each epoch's order and the records pass
// the same resumable shuffle as in training — nothing is decoded. Prints data-position.json for one rank.
// scripts/resume-time.sh uses it to write checkpoints "at step N" without training N steps, and checks it
// against a checkpoint of a real run. Clean shards only: training skips a record that fails to decode, and
// that would shift the count. Needs the built program (./powerclip --help builds it).
// usage: dotnet fsi scripts/resume-position.fsx SHARD_PATTERN SEED SHUFFLE_BUFFER SAMPLES
#r "System.Formats.Tar"
#r "../PowerClip.Cli/bin/Release/net10.0/PowerClip.Data.dll"

open System.Text.Json.Nodes
open PowerClip.Data

let pattern, seed, buffer, samples =
    match fsi.CommandLineArgs with
    | [| _; p; s; b; n |] -> p, int s, int b, int64 n
    | _ -> failwith "usage: dotnet fsi scripts/resume-position.fsx SHARD_PATTERN SEED SHUFFLE_BUFFER SAMPLES"

let problems = DataProblems()
let source = WebDatasetSource(pattern, StreamOptions(ShuffleBuffer = buffer, Seed = seed), problems)

/// Record stream of one epoch from its start, as WebDatasetSource reads it (shard order, byte offsets).
let records (epoch: int) =
    let order = source.Order epoch
    seq {
        for s in 0 .. order.Count - 1 do
            for r in WebDataset.ReadShard(order[s], problems) ->
                SourceRecord<ShardRecord>(RecordRef(s, r.Offset), RecordRef(s, r.End), r)
    }

let rec positionAfter (epoch: int) (remaining: int64) : DataPosition =
    let mutable last = DataPosition.Start epoch
    let mutable left = remaining
    use e = (ResumableShuffle.Run(DataPosition.Start epoch, [||], records epoch, buffer, seed, source.Identity)).GetEnumerator()
    while left > 0L && e.MoveNext() do
        last <- e.Current.After
        left <- left - 1L
    if left = 0L then last
    elif last.Emitted = 0L then failwith $"epoch {epoch} holds no record"
    else positionAfter (epoch + 1) left

let position = positionAfter 0 samples
let file = JsonObject()
file["ranks"] <- JsonArray([| position.ToJson() :> JsonNode |])
printfn "%s" (file.ToJsonString())
