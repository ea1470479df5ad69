/// Benchmark fixtures in the exact public layouts (tar shards as the webdataset library writes them, lossless WebP as
/// CLIP_benchmark exports, JSON as published) and a fake encoder, so the readers can be checked with known numbers.
module PowerClip.Train.Tests.EvaluationFixtures

open System.Collections.Generic
open System.Formats.Tar
open System.IO
open System.Text
open Expecto
open SixLabors.ImageSharp
open SixLabors.ImageSharp.Formats.Webp
open SixLabors.ImageSharp.PixelFormats
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles

/// Embeddings by image key (file name, "SHARD.tar::MEMBER" for a shard member, plus any crop suffix) and caption.
type FakeEncoder(images: IDictionary<string, float32[]>, texts: IDictionary<string, float32[]>) =
    member val ImageCalls = 0 with get, set
    member val ImagesSeen = ResizeArray<string>() with get
    interface IEmbeddingEncoder with
        member this.EncodeImages(paths) =
            this.ImageCalls <- this.ImageCalls + paths.Count
            this.ImagesSeen.AddRange paths
            paths |> Seq.map (fun p -> images[nonNull (Path.GetFileName p)]) |> Seq.toArray
        member _.EncodeTexts(captions) = captions |> Seq.map (fun c -> texts[c]) |> Seq.toArray

let vectors (pairs: (string * float32[]) list) : IDictionary<string, float32[]> = dict pairs

/// The unit vector e_i in 4 dimensions, and its negation.
let e (i: int) : float32[] = Array.init 4 (fun k -> if k = i then 1.0f else 0.0f)
let neg (v: float32[]) = v |> Array.map (fun x -> -x)

/// A JSON string literal.
let str (s: string) = (nonNull (System.Text.Json.Nodes.JsonValue.Create s)).ToJsonString()

/// Writes a small PNG at path (creating folders).
let image (path: string) =
    Directory.CreateDirectory(nonNull (Path.GetDirectoryName path)) |> ignore
    File.WriteAllBytes(path, ImageLoader.EncodePng(gradient 4 4))

/// Lossless WebP, the format CLIP_benchmark's webdataset export writes by default.
let webp (img: RgbImage) : byte[] =
    use i = Image.LoadPixelData<Rgb24>(img.Pixels, img.Width, img.Height)
    use ms = new MemoryStream()
    i.SaveAsWebp(ms, WebpEncoder(FileFormat = WebpFileFormatType.Lossless))
    ms.ToArray()

/// A tar shard of (member name, bytes) in the order given (PAX headers, as Python's tarfile writes by default).
let tar (path: string) (members: (string * byte[]) list) =
    Directory.CreateDirectory(nonNull (Path.GetDirectoryName path)) |> ignore
    use stream = File.Create path
    use writer = new TarWriter(stream, TarEntryFormat.Pax, false)
    for name, bytes in members do
        let entry = PaxTarEntry(TarEntryType.RegularFile, name)
        entry.DataStream <- new MemoryStream(bytes)
        writer.WriteEntry entry

let utf8 (s: string) = Encoding.UTF8.GetBytes s

/// A classification sample as webdataset's TarWriter writes it: extensions sorted (KEY.cls, then KEY.webp), the label
/// as decimal text.
let clsSample (key: string) (img: RgbImage) (label: int) =
    [ key + ".cls", utf8 (string label); key + ".webp", webp img ]

/// The BenchmarkDataException message of f (empty when it does not throw), checked to mention each string.
let throwsData (f: unit -> 'a) (mentions: string list) =
    let msg = try f () |> ignore; "" with :? BenchmarkDataException as x -> x.Message
    for m in mentions do Expect.stringContains msg m "names the problem"
    Expect.isFalse (msg.Contains '\n') "one line"

let expectProportion (p: Proportion) (correct: int) (total: int) (what: string) =
    Expect.equal (p.Correct, p.Total) (correct, total) what

/// A solid-colour w×h image whose colour encodes n (so fixtures can tell images apart after a decode).
let tagged (n: int) = solid 6 4 (byte (10 * n), byte (255 - 10 * n), 7uy)

/// A zero-shot sample's image reference and label (C# value tuples are struct tuples in F#).
let sampleImage (struct (image: string, _: int)) = image
let sampleLabel (struct (_: string, label: int)) = label

/// An empty folder under a TempDir.
let folder (dir: TempDir) (name: string) = Directory.CreateDirectory(dir.File name).FullName
