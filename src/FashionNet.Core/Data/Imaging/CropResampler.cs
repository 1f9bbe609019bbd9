using System.Buffers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FashionNet.Data.Imaging;

/// <summary>
/// Renders a <see cref="CropGeometry"/> of an image straight into a planar float RGB buffer (values 0..255): crop,
/// padding, resize and mirror in one bilinear pass, without intermediate images. Strong downscaling first goes
/// through ImageSharp's filtered resize, so small outputs of large photos are not aliased.
/// </summary>
internal static class CropResampler
{
    // Above this many source pixels per output pixel, bilinear sampling skips pixels; prefilter instead.
    private const float MaxBilinearDownscale = 2f;

    /// <summary>Writes <paramref name="geometry"/> of <paramref name="image"/> into <paramref name="planarRgb"/> ([3, size, size]).</summary>
    public static void Render(Image<Rgb24> image, CropGeometry geometry, int size, Rgb24 padding, Span<float> planarRgb)
    {
        if (planarRgb.Length != 3 * size * size)
            throw new ArgumentException($"Destination must hold 3 x {size} x {size} floats.", nameof(planarRgb));

        float downscale = Math.Max(geometry.Width, geometry.Height) / size;
        if (downscale <= MaxBilinearDownscale)
        {
            RenderBilinear(image, geometry, size, padding, planarRgb);
            return;
        }

        // Resize the whole image so the crop lands near 1:1, then sample. ImageSharp's resize maps continuous
        // coordinates linearly (pixel centres to pixel centres), so scaling the rectangle keeps landmarks exact.
        int width = Math.Max(1, (int)MathF.Round(image.Width / downscale));
        int height = Math.Max(1, (int)MathF.Round(image.Height / downscale));
        using Image<Rgb24> reduced = image.Clone(c => c.Resize(width, height, KnownResamplers.Triangle));
        float sx = (float)width / image.Width, sy = (float)height / image.Height;
        var scaled = new CropGeometry(geometry.X * sx, geometry.Y * sy, geometry.Width * sx, geometry.Height * sy, geometry.Flip);
        RenderBilinear(reduced, scaled, size, padding, planarRgb);
    }

    private static void RenderBilinear(Image<Rgb24> image, CropGeometry g, int size, Rgb24 padding, Span<float> planarRgb)
    {
        int plane = size * size;
        Span<float> red = planarRgb[..plane], green = planarRgb.Slice(plane, plane), blue = planarRgb.Slice(2 * plane, plane);
        int width = image.Width, height = image.Height;

        // Source rows are read through a copy padded with one padding pixel on each side, and every source index is
        // clamped into [-1, width]: anything outside the image then reads padding, and the inner loop has no branches.
        const int StackLimit = 1024;
        Span<int> left = size <= StackLimit ? stackalloc int[size] : new int[size];
        Span<int> right = size <= StackLimit ? stackalloc int[size] : new int[size];
        Span<float> wx = size <= StackLimit ? stackalloc float[size] : new float[size];
        Span<int> top = size <= StackLimit ? stackalloc int[size] : new int[size];
        Span<float> wy = size <= StackLimit ? stackalloc float[size] : new float[size];
        for (int o = 0; o < size; o++)
        {
            float u = g.Flip ? size - (o + 0.5f) : o + 0.5f;
            Split(g.X + u * (g.Width / size) - 0.5f, out int x0, out wx[o]);
            left[o] = Math.Clamp(x0, -1, width) + 1;
            right[o] = Math.Clamp(x0 + 1, -1, width) + 1;
            Split(g.Y + (o + 0.5f) * (g.Height / size) - 0.5f, out top[o], out wy[o]);
        }

        Rgb24[] rows = ArrayPool<Rgb24>.Shared.Rent(2 * (width + 2));
        try
        {
            Span<Rgb24> rowA = rows.AsSpan(0, width + 2), rowB = rows.AsSpan(width + 2, width + 2);
            for (int oy = 0; oy < size; oy++)
            {
                LoadPaddedRow(image, top[oy], padding, rowA);
                LoadPaddedRow(image, top[oy] + 1, padding, rowB);
                float b = wy[oy], a = 1 - b;
                int offset = oy * size;
                for (int ox = 0; ox < size; ox++)
                {
                    float r = wx[ox], l = 1 - r;
                    Rgb24 p00 = rowA[left[ox]], p01 = rowA[right[ox]], p10 = rowB[left[ox]], p11 = rowB[right[ox]];
                    red[offset + ox] = a * (l * p00.R + r * p01.R) + b * (l * p10.R + r * p11.R);
                    green[offset + ox] = a * (l * p00.G + r * p01.G) + b * (l * p10.G + r * p11.G);
                    blue[offset + ox] = a * (l * p00.B + r * p01.B) + b * (l * p10.B + r * p11.B);
                }
            }
        }
        finally
        {
            ArrayPool<Rgb24>.Shared.Return(rows);
        }
    }

    private static void LoadPaddedRow(Image<Rgb24> image, int y, Rgb24 padding, Span<Rgb24> padded)
    {
        if ((uint)y >= (uint)image.Height)
        {
            padded.Fill(padding);
            return;
        }

        padded[0] = padding;
        padded[^1] = padding;
        image.DangerousGetPixelRowMemory(y).Span.CopyTo(padded[1..^1]);
    }

    private static void Split(float position, out int index, out float fraction)
    {
        float floor = MathF.Floor(position);
        index = floor < int.MinValue / 2 ? int.MinValue / 2 : floor > int.MaxValue / 2 ? int.MaxValue / 2 : (int)floor;
        fraction = position - floor;
    }
}
