using System.Numerics;

namespace FashionNet.Data.Synthetic;

/// <summary>
/// Scanline fill of a simple polygon into a byte mask, sampling pixel centres: pixel (x, y) is inside when the
/// continuous point (x + 0.5, y + 0.5) is inside by the even-odd rule. ImageSharp 2.x has no drawing package we
/// may use, and a scanline fill is all the generator needs.
/// </summary>
internal static class PolygonRasterizer
{
    /// <summary>Sets <paramref name="value"/> in <paramref name="mask"/> (row-major, width x height) for every pixel inside the polygon.</summary>
    public static void Fill(ReadOnlySpan<Vector2> polygon, Span<byte> mask, int width, int height, byte value)
    {
        if (polygon.Length < 3) throw new ArgumentException("A polygon needs at least 3 vertices.", nameof(polygon));
        if (mask.Length != width * height) throw new ArgumentException("Mask size does not match width x height.", nameof(mask));

        float minY = float.MaxValue, maxY = float.MinValue;
        foreach (Vector2 p in polygon)
        {
            minY = MathF.Min(minY, p.Y);
            maxY = MathF.Max(maxY, p.Y);
        }

        int firstRow = Math.Max(0, (int)MathF.Floor(minY - 0.5f));
        int lastRow = Math.Min(height - 1, (int)MathF.Ceiling(maxY - 0.5f));
        Span<float> crossings = polygon.Length <= 256 ? stackalloc float[polygon.Length] : new float[polygon.Length];
        for (int y = firstRow; y <= lastRow; y++)
        {
            float sampleY = y + 0.5f;
            int count = 0;
            for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
            {
                Vector2 a = polygon[j], b = polygon[i];
                // Half-open in y so a vertex on the scanline is counted once.
                if ((a.Y <= sampleY) != (b.Y <= sampleY))
                    crossings[count++] = a.X + (sampleY - a.Y) / (b.Y - a.Y) * (b.X - a.X);
            }

            crossings[..count].Sort();
            Span<byte> row = mask.Slice(y * width, width);
            for (int k = 0; k + 1 < count; k += 2)
            {
                // Pixels whose centre x + 0.5 lies in [left, right).
                int from = Math.Max(0, (int)MathF.Ceiling(crossings[k] - 0.5f));
                int to = Math.Min(width, (int)MathF.Ceiling(crossings[k + 1] - 0.5f));
                if (from < to) row[from..to].Fill(value);
            }
        }
    }

    /// <summary>Whether a continuous point is inside the polygon (even-odd rule), consistent with <see cref="Fill"/>.</summary>
    public static bool Contains(ReadOnlySpan<Vector2> polygon, Vector2 point)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            Vector2 a = polygon[j], b = polygon[i];
            if ((a.Y <= point.Y) != (b.Y <= point.Y) && point.X < a.X + (point.Y - a.Y) / (b.Y - a.Y) * (b.X - a.X))
                inside = !inside;
        }

        return inside;
    }
}
