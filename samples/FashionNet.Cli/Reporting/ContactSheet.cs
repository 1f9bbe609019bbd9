using System.Runtime.InteropServices;
using FashionNet.Data.Imaging;
using FashionNet.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace FashionNet.Cli.Reporting;

/// <summary>One tile of a contact sheet.</summary>
/// <param name="ImagePath">The image shown.</param>
/// <param name="Caption">Text under the image.</param>
/// <param name="Highlight">Framed in green (a correct match) when true, in grey otherwise.</param>
/// <param name="Landmarks">Landmarks drawn over the image, if any.</param>
internal sealed record ContactSheetTile(string ImagePath, string Caption, bool Highlight, IReadOnlyList<TileLandmark>? Landmarks = null);

/// <summary>A true landmark and the prediction for it, in the source image's pixels (upright, as decoded).</summary>
/// <param name="Label">A short name drawn beside the prediction.</param>
internal sealed record TileLandmark(SKPoint Truth, SKPoint Predicted, string Label);

/// <summary>A PNG of image tiles in rows, with captions: queries and their top matches, or images with their landmarks.</summary>
internal static class ContactSheet
{
    private const int Caption = 34, Gap = 8, Frame = 4;

    private static readonly SKColor TruthColor = new(0, 200, 0), PredictionColor = new(230, 0, 0);

    // The library's decoder: its limits, and photos turned upright by their EXIF orientation as the model saw them.
    private static readonly ImageDecoder Decoder = new();

    /// <summary>
    /// Writes the rows of tiles, each <paramref name="tile"/> pixels square. Unreadable images show as a cross.
    /// </summary>
    /// <param name="rows">The tiles, row by row.</param>
    /// <param name="pngPath">Where the PNG goes.</param>
    /// <param name="tile">The side of a tile in pixels.</param>
    /// <param name="firstColumnApart">Set the first column apart by a wider gap (a query before its matches).</param>
    public static void Write(IReadOnlyList<IReadOnlyList<ContactSheetTile>> rows, string pngPath, int tile = 160, bool firstColumnApart = true)
    {
        int columns = rows.Max(r => r.Count);
        int apart = firstColumnApart ? Gap : 0;
        int width = Gap + columns * (tile + Gap) + apart;
        int height = Gap + rows.Count * (tile + Caption + Gap);
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 12);
        using var textPaint = new SKPaint { Color = SKColors.Black, IsAntialias = true };

        for (int row = 0; row < rows.Count; row++)
        {
            for (int column = 0; column < rows[row].Count; column++)
            {
                var shown = rows[row][column];
                float x = Gap + column * (tile + Gap) + (column > 0 ? apart : 0);
                float y = Gap + row * (tile + Caption + Gap);
                DrawTile(canvas, shown, new SKRect(x, y, x + tile, y + tile), font);
                string[] lines = shown.Caption.Split('\n');
                for (int i = 0; i < lines.Length && i < 2; i++)
                    canvas.DrawText(lines[i], x + 2, y + tile + 13 + 14 * i, SKTextAlign.Left, font, textPaint);
            }
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(pngPath, png.ToArray());
    }

    private static void DrawTile(SKCanvas canvas, ContactSheetTile tile, SKRect bounds, SKFont font)
    {
        using var framePaint = new SKPaint { Color = tile.Highlight ? new SKColor(0, 160, 60) : SKColors.LightGray, Style = SKPaintStyle.Fill };
        canvas.DrawRect(bounds, framePaint);
        var inner = SKRect.Inflate(bounds, -Frame, -Frame);
        using var bitmap = LoadUpright(tile.ImagePath);
        if (bitmap is null)
        {
            using var cross = new SKPaint { Color = SKColors.Red, StrokeWidth = 3, IsAntialias = true };
            canvas.DrawLine(inner.Left, inner.Top, inner.Right, inner.Bottom, cross);
            canvas.DrawLine(inner.Right, inner.Top, inner.Left, inner.Bottom, cross);
            return;
        }
        float scale = Math.Min(inner.Width / bitmap.Width, inner.Height / bitmap.Height);
        float w = bitmap.Width * scale, h = bitmap.Height * scale;
        var target = SKRect.Create(inner.MidX - w / 2, inner.MidY - h / 2, w, h);
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (tile.Landmarks is { } landmarks) DrawLandmarks(canvas, landmarks, point => new SKPoint(target.Left + point.X * scale, target.Top + point.Y * scale), font);
    }

    /// <summary>Each truth as a ring, its prediction as a dot with its label, and a line between them: the error.</summary>
    private static void DrawLandmarks(SKCanvas canvas, IReadOnlyList<TileLandmark> landmarks, Func<SKPoint, SKPoint> toTile, SKFont font)
    {
        using var truthPaint = new SKPaint { Color = TruthColor, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
        using var predictionPaint = new SKPaint { Color = PredictionColor, Style = SKPaintStyle.Fill, StrokeWidth = 1.5f, IsAntialias = true };
        foreach (var landmark in landmarks)
        {
            SKPoint truth = toTile(landmark.Truth), predicted = toTile(landmark.Predicted);
            canvas.DrawLine(truth, predicted, predictionPaint);
            canvas.DrawCircle(truth, 5, truthPaint);
            canvas.DrawCircle(predicted, 3, predictionPaint);
            canvas.DrawText(landmark.Label, predicted.X + 4, predicted.Y - 4, SKTextAlign.Left, font, predictionPaint);
        }
    }

    private static SKBitmap? LoadUpright(string path)
    {
        Image<Rgb24> image;
        try
        {
            image = Decoder.Decode(path);
        }
        catch (ImageDecodeException)
        {
            return null;
        }

        using (image)
        {
            var rgba = new byte[image.Width * image.Height * 4];
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        int at = 4 * (y * row.Length + x);
                        (rgba[at], rgba[at + 1], rgba[at + 2], rgba[at + 3]) = (row[x].R, row[x].G, row[x].B, 255);
                    }
                }
            });
            var bitmap = new SKBitmap(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            return bitmap;
        }
    }
}
