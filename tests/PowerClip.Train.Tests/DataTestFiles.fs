/// Small files the data tests make themselves: temporary folders, PNG/JPEG bytes, hostile images.
module PowerClip.Train.Tests.DataTestFiles

open System
open System.IO
open PowerClip.Data

/// A fresh temporary folder, deleted when disposed.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "powerclip-test-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()

/// A w×h image whose pixel (x, y) is (x, y, x+y) mod 256 — every pixel distinct enough to catch reordering.
let gradient (w: int) (h: int) : RgbImage =
    let px = Array.zeroCreate<byte> (w * h * 3)
    for y in 0 .. h - 1 do
        for x in 0 .. w - 1 do
            let i = 3 * (y * w + x)
            px[i] <- byte (x % 256); px[i + 1] <- byte (y % 256); px[i + 2] <- byte ((x + y) % 256)
    RgbImage(w, h, px)

let solid (w: int) (h: int) (r: byte, g: byte, b: byte) : RgbImage =
    RgbImage(w, h, Array.init (w * h * 3) (fun i -> match i % 3 with 0 -> r | 1 -> g | _ -> b))

let private crcTable =
    Array.init 256 (fun n ->
        let mutable c = uint32 n
        for _ in 0 .. 7 do c <- if c &&& 1u <> 0u then 0xEDB88320u ^^^ (c >>> 1) else c >>> 1
        c)

let private crc32 (data: byte[]) (offset: int) (count: int) : uint32 =
    let mutable c = 0xFFFFFFFFu
    for i in offset .. offset + count - 1 do c <- crcTable[int ((c ^^^ uint32 data[i]) &&& 0xFFu)] ^^^ (c >>> 8)
    c ^^^ 0xFFFFFFFFu

let private writeBE (b: byte[]) (at: int) (v: uint32) =
    b[at] <- byte (v >>> 24); b[at + 1] <- byte (v >>> 16); b[at + 2] <- byte (v >>> 8); b[at + 3] <- byte v

/// A valid small PNG whose header declares width×height (CRC fixed), as a decompression bomb would.
let pngDeclaring (width: uint32) (height: uint32) : byte[] =
    let png = ImageLoader.EncodePng(gradient 4 4)
    // Signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC after the 13 data bytes at 29.
    writeBE png 16 width
    writeBE png 20 height
    writeBE png 29 (crc32 png 12 17)
    png

/// The hostile files of the acceptance test, by file name, with the reason the loader must give (None = loads).
let hostileImages () : (string * byte[] * string option) list =
    let png = ImageLoader.EncodePng(gradient 32 32)
    let jpg = ImageLoader.EncodeJpeg(gradient 32 32)
    [ "good.png", png, None
      "good.jpg", jpg, None
      "png-named.jpg", png, None // recognised by content, not by extension
      "zero.png", [||], Some "empty file"
      "truncated.png", png[.. png.Length / 2], Some "corrupt image"
      "truncated.jpg", jpg[.. 40], Some "corrupt image"
      "half.jpg", jpg[.. jpg.Length / 2], Some "corrupt image"
      "text-named.jpg", Text.Encoding.UTF8.GetBytes("this is not an image at all"), Some "unsupported format"
      "gif-named.png", Array.append (Text.Encoding.ASCII.GetBytes "GIF89a") (Array.zeroCreate 20), Some
          "unsupported format"
      "huge.png", pngDeclaring 100000u 100000u, Some "too large" ]
