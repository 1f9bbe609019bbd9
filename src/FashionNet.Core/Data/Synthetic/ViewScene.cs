using System.Numerics;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Synthetic;

/// <summary>
/// Everything needed to draw one view: where the garment frame lands on the canvas (scale, squash, rotation, centre),
/// lighting, background and the optional occluder. Garment outline, landmarks and pattern all go through the same
/// <see cref="ToCanvas"/> map, so the landmarks are where the drawn garment's collar, sleeves, waist and hem are.
/// </summary>
internal sealed record ViewScene(
    int Size, Vector2 Center, float Height, float WidthScale, float Rotation, float Brightness,
    Rgb24 Background, float BackgroundGradient, (Vector2 Min, Vector2 Max)? Occluder, Rgb24 OccluderColor)
{
    /// <summary>Garment frame (x in [-1, 1], y in [0, 1]) to continuous canvas coordinates.</summary>
    public Vector2 ToCanvas(Vector2 garment)
    {
        var local = new Vector2(garment.X * WidthScale, garment.Y - 0.5f) * Height;
        (float sin, float cos) = MathF.SinCos(Rotation);
        return Center + new Vector2(cos * local.X - sin * local.Y, sin * local.X + cos * local.Y);
    }

    /// <summary>Continuous canvas coordinates to pattern coordinates (garment frame in units of the garment height, y centred).</summary>
    public Vector2 ToPattern(Vector2 canvas)
    {
        Vector2 d = canvas - Center;
        (float sin, float cos) = MathF.SinCos(Rotation);
        var local = new Vector2(cos * d.X + sin * d.Y, -sin * d.X + cos * d.Y);
        return local / Height;
    }

    /// <summary>Whether the occluder covers a continuous canvas point.</summary>
    public bool Occludes(Vector2 point) =>
        Occluder is { } box && point.X >= box.Min.X && point.X < box.Max.X && point.Y >= box.Min.Y && point.Y < box.Max.Y;
}
