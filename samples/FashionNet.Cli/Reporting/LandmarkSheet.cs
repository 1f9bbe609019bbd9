using FashionNet.Data;
using FashionNet.Data.Annotations;
using SkiaSharp;

namespace FashionNet.Cli.Reporting;

/// <summary>A contact sheet of a few annotated images spread over a list, each with its true and predicted landmarks.</summary>
internal static class LandmarkSheet
{
    private const int ImagesPerRow = 4, Tile = 320;


    /// <summary>Writes the sheet: per image, each visible true landmark (a green ring) joined to its prediction (a red dot, labelled).</summary>
    /// <param name="dataset">The dataset of the images.</param>
    /// <param name="images">Sample indices of the evaluated images, in the order of <paramref name="predicted"/>.</param>
    /// <param name="predicted">Landmarks in source-image pixels, <c>x0, y0, .., x7, y7</c> per image.</param>
    /// <param name="count">Images on the sheet (of those with annotated landmarks).</param>
    /// <param name="pngPath">Where the PNG goes.</param>
    public static void Write(FashionDataset dataset, IReadOnlyList<int> images, IReadOnlyList<float> predicted, int count, string pngPath)
    {
        const int values = 2 * LandmarkLayout.SlotCount;
        var annotatedRows = Enumerable.Range(0, images.Count).Where(row => dataset.Samples[images[row]].Landmarks is not null).ToList();
        if (annotatedRows.Count == 0) throw new ArgumentException($"'{dataset.Root}' has no landmark annotations to draw on a contact sheet.");
        var tiles = QuerySheet.Spread(annotatedRows, count).Select(row =>
        {
            var sample = dataset.Samples[images[row]];
            var truth = sample.Landmarks!;
            var landmarks = Enumerable.Range(0, LandmarkLayout.SlotCount)
                .Where(slot => truth.Slots[slot].Visibility == LandmarkVisibility.Visible)
                .Select(slot => new TileLandmark(new SKPoint(truth.Slots[slot].X, truth.Slots[slot].Y),
                    new SKPoint(predicted[row * values + 2 * slot], predicted[row * values + 2 * slot + 1]), Initials((LandmarkSlot)slot)))
                .ToList();
            return new ContactSheetTile(dataset.ImageFullPath(sample), $"{Path.GetFileName(sample.ImagePath)}\n{landmarks.Count} visible landmarks", false, landmarks);
        }).ToList();
        ContactSheet.Write([.. tiles.Chunk(ImagesPerRow)], pngPath, Tile, firstColumnApart: false);
    }

    /// <summary>A slot's label on the sheet: the capitals of its name (LeftSleeve: LS).</summary>
    private static string Initials(LandmarkSlot slot) => string.Concat(slot.ToString().Where(char.IsUpper));
}
