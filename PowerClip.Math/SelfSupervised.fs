namespace PowerClip.Spec

/// A-CLIP's losses beside CLIP's (Yang et al., ICCV 2023; formulas as in its released code) and its EMA schedule.
module SelfSupervised =

    let private fail (message: string) : 'a = raise (System.ArgumentException message)

    let private dot (a: float[]) (b: float[]) : float = Array.fold2 (fun s x y -> s + x * y) 0.0 a b

    let private unit (a: float[]) : float[] =
        let n = sqrt (dot a a)
        if n = 0.0 then Array.zeroCreate a.Length else Array.map (fun x -> x / n) a

    /// SimCLR's NT-Xent between views a and b (rows = images, normalised here), temperature τ: for row i of a the
    /// positive is b_i and the negatives every b_j and every a_j with j ≠ i; the mean of both directions.
    let simclr (tau: float) (a: float[][]) (b: float[][]) : float =
        if a.Length = 0 || a.Length <> b.Length then
            fail $"SimCLR needs two views of the same images, got {a.Length} and {b.Length}"
        if not (tau > 0.0) then fail $"tau must be > 0, got {tau}"
        let qa, qb = Array.map unit a, Array.map unit b
        let n = qa.Length
        let direction (x: float[][]) (y: float[][]) (i: int) =
            let cross = Array.init n (fun j -> dot x[i] y[j] / tau)
            let same = [| for j in 0 .. n - 1 do if j <> i then yield dot x[i] x[j] / tau |]
            Numerics.logSumExp (Array.append cross same) - cross[i]
        (Array.average (Array.init n (direction qa qb)) + Array.average (Array.init n (direction qb qa))) / 2.0

    /// BYOL's regression loss: the mean over images i and views v of 2 − 2·cos(online[i][v], target[i]).
    let byol (online: float[][][]) (target: float[][]) : float =
        if online.Length = 0 || online.Length <> target.Length then
            fail $"BYOL needs a target per image, got {online.Length} and {target.Length}"
        online
        |> Array.mapi (fun i views ->
            let z = unit target.[i]
            views |> Array.map (fun p -> 2.0 - 2.0 * dot (unit p) z))
        |> Array.concat
        |> Array.average

    /// A-CLIP's loss: (1/V)·Σ_v InfoNCE(scale·view_v·textᵀ) + w_s·SimCLR(view 1, view 2) + w_b·BYOL.
    /// views[i][v] and text[i] are unit vectors; simclrFeatures[i][v] are the SimCLR head's outputs.
    let aClip (scale: float) (simclrWeight: float) (tau: float) (byolWeight: float)
              (views: float[][][]) (text: float[][]) (simclrFeatures: float[][][])
              (online: float[][][]) (target: float[][]) : float =
        let n, v = views.Length, views[0].Length
        let clip =
            Array.init v (fun k -> Losses.infoNce (Array2D.init n n (fun i j -> scale * dot views.[i].[k] text.[j])))
            |> Array.average
        let ssl =
            if simclrWeight > 0.0 && v >= 2 then
                let view k = simclrFeatures |> Array.map (fun f -> f.[k])
                simclrWeight * simclr tau (view 0) (view 1)
            else 0.0
        let b = if byolWeight > 0.0 then byolWeight * byol online target else 0.0
        clip + ssl + b

    /// m(t) = 1 − (1 − m₀)·(cos(π·t/T) + 1)/2: the EMA momentum, m₀ at step 0 rising to 1 at step T.
    let momentum (m0: float) (step: int) (totalSteps: int) : float =
        if totalSteps <= 0 then 1.0
        else 1.0 - (1.0 - m0) * (cos (System.Math.PI * (float (min step totalSteps) / float totalSteps)) + 1.0) / 2.0

    /// One EMA step: m·ema + (1 − m)·online.
    let emaStep (m: float) (ema: float[]) (online: float[]) : float[] =
        Array.map2 (fun e o -> m * e + (1.0 - m) * o) ema online
