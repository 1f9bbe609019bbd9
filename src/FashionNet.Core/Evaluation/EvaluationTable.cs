using System.Globalization;
using System.Text;

namespace FashionNet.Evaluation;

/// <summary>Compact plain-text tables of evaluation results, for consoles and logs.</summary>
public static class EvaluationTable
{
    /// <summary>Hit rate and, on its own row, item recall at each cut-off.</summary>
    public static string Format(RetrievalEvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var header = new[] { "measure" }.Concat(result.HitRate.Select(r => $"@{r.K}")).ToArray();
        var table = Render(header,
        [
            ["hit rate", .. result.HitRate.Select(r => Rate(r.Rate))],
            ["item recall", .. result.ItemRecall.Select(r => Rate(r.Rate))],
        ]);
        return $"Retrieval: {result.QueryCount} queries, {result.GalleryCount} gallery images, " +
            $"{result.QueriesWithoutRelevantImage} queries without a relevant gallery image{Environment.NewLine}{table}";
    }

    /// <summary>Top-k accuracy at each cut-off.</summary>
    public static string Format(CategoryAccuracyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var header = new[] { "measure" }.Concat(result.TopK.Select(r => $"top-{r.K}")).ToArray();
        return $"Category: {result.SampleCount} images{Environment.NewLine}" +
            Render(header, [["accuracy", .. result.TopK.Select(r => Rate(r.Rate))]]);
    }

    /// <summary>Top-k recall overall and per attribute type.</summary>
    public static string Format(AttributeRecallResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var header = new[] { "attributes", "images" }.Concat(result.Recall.Select(r => $"top-{r.K}")).ToArray();
        List<string[]> rows = [["all", Count(result.ImagesWithPositives), .. result.Recall.Select(r => Rate(r.Rate))]];
        rows.AddRange(result.PerType.Select(t => (string[])
            [t.Name, Count(t.ImagesWithPositives), .. t.Recall.IsEmpty ? result.Recall.Select(_ => "-") : t.Recall.Select(r => Rate(r.Rate))]));
        return $"Attributes: {result.ImageCount} images, {result.ImagesWithPositives} with a positive attribute{Environment.NewLine}" +
            Render(header, rows);
    }

    /// <summary>Normalized error per landmark slot, the means, and the detection rates.</summary>
    public static string Format(LandmarkErrorResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = result.PerSlot.Select(s => (string[])[s.Slot.ToString(), Count(s.VisibleCount), Error(s.Error), Offset(s.MeanOffset?.X), Offset(s.MeanOffset?.Y)]).ToList();
        rows.Add(["mean of slots", Count(result.VisibleLandmarkCount), Error(result.MeanError)]);
        rows.Add(["all visible", Count(result.VisibleLandmarkCount), Error(result.PooledError)]);
        var errors = Render(["landmark", "visible", "error", "offset x", "offset y"], rows);
        var detection = Render(
            ["within", .. result.DetectionRates.Select(d => d.Threshold.ToString("0.###", CultureInfo.InvariantCulture))],
            [["detected", .. result.DetectionRates.Select(d => Rate(d.Rate))]]);
        return $"Landmarks: {result.ImageCount} images, {result.VisibleLandmarkCount} visible landmarks (normalized by image size)" +
            $"{Environment.NewLine}{errors}{detection}";
    }

    /// <summary>A rate or accuracy as these tables write it (four decimals), for other renderers of the same results.</summary>
    public static string Rate(double rate) => rate.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>A normalized landmark error as these tables write it; "-" where nothing was measured.</summary>
    public static string Error(double? error) => error?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>A signed mean offset as these tables write it (sign always shown); "-" where nothing was measured.</summary>
    public static string Offset(double? offset) => offset?.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture) ?? "-";

    private static string Count(int count) => count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Columns padded to their widest cell: the first left-aligned, the rest right-aligned.</summary>
    private static string Render(string[] header, IReadOnlyList<string[]> rows)
    {
        var all = rows.Prepend(header).ToArray();
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(row => c < row.Length ? row[c].Length : 0)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (int c = 0; c < header.Length; c++)
            {
                string cell = c < row.Length ? row[c] : "";
                if (c > 0) text.Append("  ");
                text.Append(c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            }

            text.Append(Environment.NewLine);
            if (ReferenceEquals(row, header)) text.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append(Environment.NewLine);
        }

        return text.ToString();
    }
}
