/// Mask fixtures the mask tests write themselves, in SAM's exact output layout.
module PowerClip.Train.Tests.DataMaskFiles

open System
open System.IO
open System.Text.Json.Nodes
open PowerClip.Data

/// A row-major h×w 0/1 mask from a predicate on (row, column).
let maskOf (h: int) (w: int) (inside: int -> int -> bool) : byte[] =
    Array.init (h * w) (fun i -> if inside (i / w) (i % w) then 1uy else 0uy)

/// The h×w mask of columns x0..x1 and rows y0..y1 (inclusive).
let box (h: int) (w: int) (x0, x1) (y0, y1) = maskOf h w (fun y x -> x >= x0 && x <= x1 && y >= y0 && y <= y1)

/// One mask as a COCO RLE.
let rle (h: int) (w: int) (mask: byte[]) = RleMask(h, w, CocoRle.Encode(ReadOnlySpan mask, h, w))

/// Masks at image resolution, all h×w.
let pixelMasks (h: int) (w: int) (masks: byte[] list) =
    PixelMasks.Create [| for m in masks -> rle h w m |]

/// A SAM record as SamAutomaticMaskGenerator(output_mode="coco_rle").generate returns it and amg.py dumps it:
/// segmentation = pycocotools' compressed RLE, area, bbox (XYWH), predicted_iou, point_coords,
/// stability_score, crop_box.
let samRecord (h: int) (w: int) (mask: byte[]) (iou: float) : JsonObject =
    let counts = CocoRle.Encode(ReadOnlySpan mask, h, w)
    let cells = [ for i in 0 .. mask.Length - 1 do if mask[i] <> 0uy then yield i / w, i % w ]
    let ys, xs = List.map fst cells, List.map snd cells
    let bbox =
        if cells.IsEmpty then [ 0; 0; 0; 0 ]
        else [ List.min xs; List.min ys; List.max xs - List.min xs + 1; List.max ys - List.min ys + 1 ]
    let numbers (xs: seq<'a>) (f: 'a -> JsonNode) = JsonArray(xs |> Seq.map f |> Array.ofSeq)
    let record = JsonObject()
    let segmentation = JsonObject()
    segmentation["size"] <- numbers [ h; w ] (fun v -> JsonValue.Create v)
    segmentation["counts"] <- JsonValue.Create(CocoRle.Compress counts)
    record["segmentation"] <- segmentation
    record["area"] <- JsonValue.Create(CocoRle.Area counts)
    record["bbox"] <- numbers bbox (fun v -> JsonValue.Create(float v))
    record["predicted_iou"] <- JsonValue.Create iou
    let point = JsonArray([| numbers [ 3.5; 4.5 ] (fun v -> JsonValue.Create v) :> JsonNode |])
    record["point_coords"] <- point
    record["stability_score"] <- JsonValue.Create 0.97
    record["crop_box"] <- numbers [ 0; 0; w; h ] (fun v -> JsonValue.Create(float v))
    record

/// amg.py's file for one image: the list of records, NAME.json.
let writeSamFile (dir: string) (name: string) (records: JsonObject list) =
    let list = JsonArray(records |> List.map (fun r -> r :> JsonNode) |> Array.ofList)
    File.WriteAllText(Path.Combine(dir, name + ".json"), list.ToJsonString())

/// A w×h dark image with a red rectangle over columns x0..x1 and rows y0..y1 (inclusive).
let redBox (w: int) (h: int) (x0: int, x1: int) (y0: int, y1: int) : RgbImage =
    let px = Array.zeroCreate<byte> (w * h * 3)
    for y in 0 .. h - 1 do
        for x in 0 .. w - 1 do
            let red = x >= x0 && x <= x1 && y >= y0 && y <= y1
            px[3 * (y * w + x)] <- if red then 255uy else 60uy
            px[3 * (y * w + x) + 1] <- if red then 0uy else 60uy
            px[3 * (y * w + x) + 2] <- if red then 0uy else 60uy
    RgbImage(w, h, px)

/// The share of "red" output pixels per patch of a CHW CLIP-normalised image (red: R high, G low).
let redShare (pixels: float32[]) (size: int) (patch: int) : float[] =
    let plane = size * size
    let grid = size / patch
    let counts = Array.zeroCreate<int> (grid * grid)
    for y in 0 .. size - 1 do
        for x in 0 .. size - 1 do
            if pixels[y * size + x] > 0.5f && pixels[plane + y * size + x] < -1.0f then
                counts[(y / patch) * grid + x / patch] <- counts[(y / patch) * grid + x / patch] + 1
    counts |> Array.map (fun c -> float c / float (patch * patch))
