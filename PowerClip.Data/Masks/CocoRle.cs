namespace PowerClip.Data;

/// <summary>
/// COCO run-length encoding of a binary mask, as pycocotools (common/maskApi.c) and SAM/SAM2 write it: the
/// H×W mask is read in column-major (Fortran) order and stored as alternating run lengths, zeros first (the
/// first count is 0 when the mask starts with a one). "Compressed" RLE is pycocotools' string form of those
/// counts (rleToString/rleFrString); "uncompressed" RLE is the list of counts itself.
/// </summary>
public static class CocoRle
{
    /// <summary>
    /// Reads pycocotools' string form: each count is written in groups of 5 bits, least significant first, one
    /// character per group (ASCII 48 + group, 0x20 set when another group follows); the last group's bit 0x10 is
    /// the sign. From the fourth count on, the value stored is the difference to the count two places earlier.
    /// </summary>
    public static uint[] Decompress(string s)
    {
        var counts = new List<uint>();
        var p = 0;
        while (p < s.Length)
        {
            long x = 0;
            var k = 0;
            var more = true;
            while (more)
            {
                if (p >= s.Length) throw new FormatException($"RLE string ends inside a count (at character {p})");
                if (k == 7) throw new FormatException($"RLE string has a count over 7 characters (at character {p})");
                var c = s[p] - 48;
                if (c is < 0 or > 63)
                    throw new FormatException($"RLE string has '{s[p]}' at character {p}: expected ASCII 48..111");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[^2];
            if (x is < 0 or > uint.MaxValue)
                throw new FormatException($"RLE string decodes to run length {x} (count {counts.Count})");
            counts.Add((uint)x);
        }
        return counts.ToArray();
    }

    /// <summary>pycocotools' string form of run lengths (the inverse of <see cref="Decompress"/>).</summary>
    public static string Compress(IReadOnlyList<uint> counts)
    {
        var sb = new System.Text.StringBuilder(counts.Count * 2);
        for (var i = 0; i < counts.Count; i++)
        {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            var more = true;
            while (more)
            {
                var c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.Append((char)(c + 48));
            }
        }
        return sb.ToString();
    }

    /// <summary>Run lengths of a row-major H×W 0/1 mask (non-zero = inside), in COCO's column-major order.</summary>
    public static uint[] Encode(ReadOnlySpan<byte> rowMajor, int height, int width)
    {
        if (height < 1 || width < 1 || rowMajor.Length != height * width)
            throw new ArgumentException($"mask of {rowMajor.Length} cells is not {height}x{width}");
        var counts = new List<uint>();
        var (previous, run) = (false, 0u);
        for (var x = 0; x < width; x++)
            for (var y = 0; y < height; y++)
            {
                var inside = rowMajor[y * width + x] != 0;
                if (inside != previous) { counts.Add(run); run = 0; previous = inside; }
                run++;
            }
        counts.Add(run);
        return counts.ToArray();
    }

    /// <summary>Checks that run lengths cover exactly H×W cells; names the mismatch.</summary>
    public static void Validate(IReadOnlyList<uint> counts, int height, int width)
    {
        if (height < 1 || width < 1) throw new FormatException($"RLE size [{height}, {width}] must be positive");
        var total = 0L;
        foreach (var c in counts) total += c;
        if (total != (long)height * width)
            throw new FormatException(
                $"RLE counts cover {total} pixels, but its size [{height}, {width}] has {(long)height * width}");
    }

    /// <summary>Pixels inside the mask (the odd runs).</summary>
    public static long Area(IReadOnlyList<uint> counts)
    {
        var area = 0L;
        for (var i = 1; i < counts.Count; i += 2) area += counts[i];
        return area;
    }

    /// <summary>Writes the mask into a row-major H×W raster (1 inside, 0 outside); counts must fit the size.</summary>
    public static void Fill(IReadOnlyList<uint> counts, int height, int width, Span<byte> rowMajor)
    {
        rowMajor[..(height * width)].Clear();
        long j = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (i % 2 == 1)
            {
                // Walk the run down its columns: one division per run, not per pixel.
                var (x, y) = ((int)(j / height), (int)(j % height));
                for (var k = 0u; k < counts[i]; k++)
                {
                    rowMajor[y * width + x] = 1;
                    if (++y == height) (x, y) = (x + 1, 0);
                }
            }
            j += counts[i];
        }
    }
}
