// Writes the bit patterns of 15,200 float values of the spec (every quantity, 400 seeded inputs, M 1..12, three τ) to a
// file, so two builds of PowerClip.Math can be compared bit for bit. It uses only the float API that predates the
// generic spec, so it also runs in an older checkout: copy it there, build, run both, compare:
//   dotnet build PowerClip.Math -c Release && dotnet fsi scripts/spec-values.fsx /tmp/new.txt
//   (in the other checkout, the same with /tmp/old.txt), then: cmp /tmp/old.txt /tmp/new.txt
#r "../PowerClip.Math/bin/Release/net10.0/PowerClip.Math.dll"
open PowerClip.Spec
let rng = System.Random 7
let out = System.Text.StringBuilder()
for k in 0 .. 399 do
    let model = if k % 2 = 0 then ClipLike else Uniform
    let m = 1 + k % 12
    let s0, t = Synthetic.studyCase model rng m
    let s0 = if k % 7 = 0 then Array2D.map (fun v -> System.Math.Round(v * 2.0) / 2.0) s0 else s0
    for tau in [ 1e-3; 1e-2; 0.3 ] do
        let vals =
            [ Powerset.r2tExact s0 t; Powerset.t2rExact s0 t; Powerset.r2tLse tau s0 t; Nla.t1 tau s0 t
              Nla.t2 tau 0.75 ZetaWeightsLower s0 t; Nla.t2 tau 0.3 ZetaWeightsLogCosh s0 t
              Nla.upper tau s0 t; Nla.lower tau s0 t
              Estimators.t2rRelu s0 t; Estimators.r2tDelta tau s0 t; (Estimators.r2tMonteCarlo 16 k 0.95 s0 t).Estimate
              (Estimators.r2tMonteCarlo 16 k 0.95 s0 t).HalfWidth ]
        for v in vals do out.AppendLine(string (System.BitConverter.DoubleToInt64Bits v)) |> ignore
    let n = 2 + k % 5
    let x = Array2D.init n n (fun i j -> s0[(i + j) % m, 0] * 10.0)
    out.AppendLine(string (System.BitConverter.DoubleToInt64Bits (Losses.infoNce x))) |> ignore
    out.AppendLine(string (System.BitConverter.DoubleToInt64Bits (Losses.triplet 0.2 x))) |> ignore
System.IO.File.WriteAllText(fsi.CommandLineArgs[1], out.ToString())
