using System.Globalization;
using FashionNet.Evaluation;
using Spectre.Console;
using static FashionNet.Evaluation.EvaluationTable;

namespace FashionNet.Cli.Reporting;

/// <summary>Spectre tables of evaluation results.</summary>
internal static class EvaluationTables
{
    /// <summary>Hit rate at each cut-off, and item recall on its own, differently named row.</summary>
    public static Table Retrieval(RetrievalEvaluationResult result, string title)
    {
        var table = new Table().Title($"{title}: {result.QueryCount:N0} queries, {result.GalleryCount:N0} gallery images").AddColumn("measure");
        foreach (var rate in result.HitRate) table.AddColumn($"@{rate.K}", c => c.RightAligned());
        table.AddRow(["[bold]hit rate[/]", .. result.HitRate.Select(r => Rate(r.Rate))]);
        table.AddRow(["item recall", .. result.ItemRecall.Select(r => Rate(r.Rate))]);
        if (result.QueriesWithoutRelevantImage > 0)
            table.Caption($"{result.QueriesWithoutRelevantImage} queries have no image of their item in the gallery (counted as misses)");
        return table;
    }

    /// <summary>Category top-k accuracy, under a title that says which classifier (the model's head by default).</summary>
    public static Table Category(CategoryAccuracyResult result, string title = "category")
    {
        var table = new Table().Title($"{title}: {result.SampleCount:N0} images").AddColumn("measure");
        foreach (var rate in result.TopK) table.AddColumn($"top-{rate.K}", c => c.RightAligned());
        table.AddRow(["accuracy", .. result.TopK.Select(r => Rate(r.Rate))]);
        return table;
    }

    /// <summary>Top-1 accuracy per category and the category each is most often mistaken for, most images first.</summary>
    public static Table CategoryConfusions(CategoryAccuracyResult result, string title = "category")
    {
        var table = new Table().Title($"{title}: top-1 per category").AddColumn("category").AddColumn("images", c => c.RightAligned())
            .AddColumn("top-1", c => c.RightAligned()).AddColumn("most confused with");
        foreach (var row in result.PerCategory.OrderByDescending(r => r.SampleCount))
        {
            table.AddRow(CategoryName(row.Category, row.Name), Count(row.SampleCount), Rate(row.Top1Rate),
                row.MostConfusedWith is { } confused ? $"{CategoryName(confused.Category, confused.Name)} ({Count(confused.Count)}, {Rate(confused.Share)})" : "-");
        }
        return table;
    }

    /// <summary>Attribute top-k recall, overall and per type.</summary>
    public static Table Attributes(AttributeRecallResult result)
    {
        var table = new Table().Title($"attributes: {result.ImagesWithPositives:N0} of {result.ImageCount:N0} images with a positive attribute")
            .AddColumn("attributes").AddColumn("images", c => c.RightAligned());
        foreach (var rate in result.Recall) table.AddColumn($"recall top-{rate.K}", c => c.RightAligned());
        table.AddRow(["all", Count(result.ImagesWithPositives), .. result.Recall.Select(r => Rate(r.Rate))]);
        foreach (var type in result.PerType)
        {
            table.AddRow([Markup.Escape(type.Name), Count(type.ImagesWithPositives),
                .. type.Recall.IsEmpty ? result.Recall.Select(_ => "-") : type.Recall.Select(r => Rate(r.Rate))]);
        }
        return table;
    }

    /// <summary>Landmark normalized error per slot and detection rates.</summary>
    public static Table Landmarks(LandmarkErrorResult result)
    {
        var table = new Table().Title($"landmarks: {result.ImageCount:N0} images, {result.VisibleLandmarkCount:N0} visible landmarks")
            .AddColumn("landmark").AddColumn("visible", c => c.RightAligned()).AddColumn("normalized error", c => c.RightAligned())
            .AddColumn("mean offset x", c => c.RightAligned()).AddColumn("mean offset y", c => c.RightAligned());
        foreach (var slot in result.PerSlot)
            table.AddRow(slot.Slot.ToString(), Count(slot.VisibleCount), Error(slot.Error), Offset(slot.MeanOffset?.X), Offset(slot.MeanOffset?.Y));
        table.AddRow("[bold]mean of slots[/]", Count(result.VisibleLandmarkCount), Error(result.MeanError), "", "");
        table.AddRow("all visible (pooled)", Count(result.VisibleLandmarkCount), Error(result.PooledError), "", "");
        table.Caption("detection rate: " + string.Join(", ",
            result.DetectionRates.Select(d => $"{Rate(d.Rate)} within {d.Threshold.ToString("0.###", CultureInfo.InvariantCulture)}")));
        return table;
    }

    /// <summary>Every measure of a report, as tables.</summary>
    public static IEnumerable<Table> All(BenchmarkReport report)
    {
        if (report.Retrieval is { } retrieval)
            yield return Retrieval(retrieval, report.Protocol == EvaluationProtocol.InShopRetrieval ? "In-shop retrieval" : "Consumer-to-shop retrieval");
        if (report.Category is { } category)
        {
            yield return Category(category);
            yield return CategoryConfusions(category);
        }
        if (report.NeighbourCategory is { } vote)
        {
            string title = $"category by a vote of the {vote.Neighbours} nearest of {vote.ReferenceImages:N0} training images";
            yield return Category(vote.Accuracy, title);
            yield return CategoryConfusions(vote.Accuracy, title);
        }
        if (report.Attributes is { } attributes) yield return Attributes(attributes);
        if (report.Landmarks is { } landmarks) yield return Landmarks(landmarks);
        if (report.Gating is { } gating) yield return Gating(gating);
        if (report.Features is { } features) yield return Features(features);
    }

    /// <summary>How many units of the global and local features fire per image, and how many never do.</summary>
    public static Table Features(BranchActivity activity)
    {
        var table = new Table().Title("feature units firing (above 0)").AddColumn("feature").AddColumn("units", c => c.RightAligned())
            .AddColumn("firing per image", c => c.RightAligned()).AddColumn("never firing", c => c.RightAligned());
        foreach (var (name, feature) in new[] { ("global", activity.Global), ("local", activity.Local) })
        {
            if (feature is null) continue;
            table.AddRow(name, Count(feature.Units), feature.ActivePerImage.ToString("0.0", CultureInfo.InvariantCulture), Count(feature.NeverActive));
        }
        return table;
    }

    /// <summary>Share of images whose landmark slots the local branch pools, overall and per clothes type.</summary>
    public static Table Gating(LandmarkGatingResult result)
    {
        var table = new Table().Title($"local branch: share of images pooling each landmark (visibility > {result.Threshold:0.##})")
            .AddColumn("images").AddColumn("count", c => c.RightAligned()).AddColumn("per image", c => c.RightAligned());
        foreach (var slot in result.All.Slots) table.AddColumn(slot.Slot.ToString(), c => c.RightAligned());
        foreach (var group in result.ByClothesType.Prepend(result.All))
        {
            table.AddRow([group.Group, Count(group.ImageCount), group.MeanPooledSlots.ToString("0.00", CultureInfo.InvariantCulture),
                .. group.Slots.Select(s => s.Share.ToString("0.00", CultureInfo.InvariantCulture))]);
        }
        return table;
    }

    /// <summary>The name, or the 1-based label of the annotation files when the name is not known; escaped for markup.</summary>
    private static string CategoryName(int category, string? name) => Markup.Escape(name ?? $"category {category + 1}");

    private static string Count(int count) => count.ToString("N0", CultureInfo.InvariantCulture);
}
