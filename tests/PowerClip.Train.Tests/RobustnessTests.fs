/// The robustness analogue: the shifted render styles on hand-made scenes, and the export of the shifted sets.
module PowerClip.Train.Tests.RobustnessTests

open System
open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.DataTestFiles

let private config = WorldConfig(ImageSize = 48, PatchSize = 8)

/// One large circle in the middle of a plain dark background.
let private scene (colour: Colour) =
    WorldScene([| WorldObject(Shape.Circle, colour, ObjectSize.Large, 24.0, 24.0, 12.0) |], (40uy, 40uy, 40uy))

let private render (style: RenderStyle) (seed: int) (c: Colour) =
    let struct (image, masks) = WorldRenderer.Render(scene c, config, Random seed, style)
    image, masks

let private pixel (img: RgbImage) (x: int) (y: int) =
    let i = 3 * (y * img.Width + x)
    int img.Pixels[i], int img.Pixels[i + 1], int img.Pixels[i + 2]

/// Squared distance of pixel (x, y)'s centre (where the renderer samples) from the image centre.
let private dist2 (x: int) (y: int) = (float x + 0.5 - 24.0) ** 2.0 + (float y + 0.5 - 24.0) ** 2.0

let private pixels = [ for y in 0 .. 47 do for x in 0 .. 47 -> x, y ]

/// Pixels within the circle of radius r around the centre.
let private within (r: float) = pixels |> List.filter (fun (x, y) -> dist2 x y <= r * r)

let private isRedish (r, g, b) = r > 150 && g < 100 && b < 100

let private std (xs: float seq) =
    let a = Seq.toArray xs
    let m = Array.average a
    sqrt (a |> Array.averageBy (fun x -> (x - m) ** 2.0))

[<Tests>]
let tests =
    testList "robustness" [
        test "the plain style is the renderer's default: same bytes and masks from the same stream" {
            for seed in 0 .. 4 do
                let struct (a, ma) = WorldRenderer.Render(scene Colour.Red, config, Random seed)
                let b, mb = render RenderStyle.Plain seed Colour.Red
                Expect.equal a.Pixels b.Pixels "pixels"
                Expect.equal (ma.Patches |> Array.map List.ofArray) (mb.Patches |> Array.map List.ofArray) "masks"
        }
        test "outline: the object's border band is painted and its inside left as background" {
            let plain, _ = render RenderStyle.Plain 1 Colour.Red
            let outline, masks = render RenderStyle.Outlines 1 Colour.Red
            let paintedPlain = within 12.0 |> List.filter (fun (x, y) -> isRedish (pixel plain x y)) |> List.length
            let paintedOutline = pixels |> List.filter (fun (x, y) -> isRedish (pixel outline x y))
            Expect.equal paintedPlain (within 12.0).Length "plain fills the disc"
            let inner = 0.7 * 12.0 - 0.01
            Expect.isTrue (paintedOutline |> List.forall (fun (x, y) -> dist2 x y >= inner * inner))
                "only a band of 30% of the radius is painted"
            let n = paintedOutline.Length
            Expect.isTrue (n > paintedPlain / 4 && n < paintedPlain * 6 / 10) $"a band: {n} of {paintedPlain}"
            for x, y in within 6.0 do Expect.isFalse (isRedish (pixel outline x y)) "the inside shows the background"
            Expect.isNonEmpty masks.Patches[0] "the mask is the painted outline (never empty)"
        }
        test "texture: the background becomes stripes far from the plain noise, while the object keeps its colour" {
            let outside = pixels |> List.filter (fun (x, y) -> dist2 x y > 15.0 ** 2.0)
            let spread (img: RgbImage) =
                std (outside |> List.map (fun (x, y) -> let r, g, b = pixel img x y in float (r + g + b)))
            for seed in 0 .. 4 do
                let plain, _ = render RenderStyle.Plain seed Colour.Blue
                let textured, _ = render RenderStyle.Textured seed Colour.Blue
                Expect.isLessThan (spread plain) 15.0 "plain: noise of ±6 per channel"
                Expect.isGreaterThan (spread textured) 30.0 $"seed {seed}: stripes between two colours"
                let r, g, b = pixel textured 24 24
                Expect.isTrue (r < 80 && g < 120 && b > 190) $"the object stays blue ({r}, {g}, {b})"
        }
        test "palette: object colours move beyond the training jitter of ±12 (and never for the plain style)" {
            let deviation (style: RenderStyle) (seed: int) =
                let img, _ = render style seed Colour.Green
                let r, g, b = pixel img 24 24
                let struct (br, bg, bb) = WorldVocabulary.Rgb Colour.Green
                List.max [ abs (r - int br); abs (g - int bg); abs (b - int bb) ]
            let plain = [ for s in 0 .. 29 -> deviation RenderStyle.Plain s ]
            let shifted = [ for s in 0 .. 29 -> deviation RenderStyle.Palette s ]
            Expect.isLessThanOrEqual (List.max plain) 12 "plain: within the training jitter"
            let beyond = shifted |> List.filter (fun d -> d > 12) |> List.length
            Expect.isGreaterThan beyond 15 "most shifted images leave it"
            Expect.isLessThanOrEqual (List.max shifted) 60 "bounded by jitter 36 + cast 24"
            let once () = (render RenderStyle.Palette 3 Colour.Green |> fst).Pixels
            Expect.equal (once ()) (once ()) "seeded"
        }
        test "the robustness export renders the zero-shot scenes once per shift, in the zero-shot layout" {
            use dir = new TempDir()
            let world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 1))
            let plain = BenchmarkExporter(world).ZeroShot(dir.File "zeroshot", 1)
            let counts = RobustnessExport(world).Write(dir.File "robustness", 1)
            Expect.equal (counts.Keys |> Seq.sort |> List.ofSeq) [ "outline"; "palette"; "texture" ] "three shifts"
            for KeyValue(name, n) in counts do
                let sub = Path.Combine(dir.File "robustness", name)
                Expect.equal n plain $"{name}: as many images as the zero-shot set"
                for f in [ "classnames.txt"; "zeroshot_classification_templates.txt"; "heldout_classes.txt" ] do
                    let text (folder: string) = File.ReadAllText(Path.Combine(folder, f))
                    Expect.equal (text sub) (text (dir.File "zeroshot")) $"{name}: {f}"
                let same (f: string) =
                    let original = Path.Combine(dir.File "zeroshot", Path.GetRelativePath(sub, f))
                    File.ReadAllBytes f = File.ReadAllBytes original
                let shifted =
                    Directory.GetFiles(Path.Combine(sub, "test"), "*.png", SearchOption.AllDirectories)
                    |> Array.filter (same >> not)
                Expect.equal shifted.Length n $"{name}: every image shifted"
            Expect.throwsT<ArgumentException> (fun () -> RenderStyle.Named "sketchy" |> ignore) "unknown style"
        }
    ]
