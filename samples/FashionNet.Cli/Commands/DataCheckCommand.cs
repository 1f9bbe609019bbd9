using System.CommandLine;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet data check</c>: reads a dataset, prints what it holds and every problem found. Exits 1 when a
/// problem was found (with <c>--lenient</c>, only when a whole file is unusable).
/// </summary>
internal static class DataCheckCommand
{
    public static Command Create()
    {
        var format = DatasetOptions.Format("inshop", "c2s", "category", "landmarks");
        var root = new Option<DirectoryInfo>("--root") { Description = "Dataset folder (holding Eval/, Anno/ and the images).", Required = true };
        var lenient = new Option<bool>("--lenient") { Description = "Tolerate bad rows: report them but exit 0 unless a whole file is unusable." };
        var skipImages = new Option<bool>("--skip-image-check") { Description = "Do not check that every image file exists (faster)." };
        var categoriesFromPath = DatasetOptions.CategoriesFromPath();

        var command = new Command("check", "Read a DeepFashion-format dataset and report counts, landmark statistics and every problem.");
        command.Options.Add(format);
        command.Options.Add(root);
        command.Options.Add(lenient);
        command.Options.Add(skipImages);
        command.Options.Add(categoriesFromPath);
        command.SetAction(parse => Run(parse.GetValue(format)!, parse.GetValue(root)!.FullName, parse.GetValue(lenient), new ReaderOptions
        {
            // Always read leniently so that every bad row is listed, not just the first.
            Lenient = true,
            CheckImageFiles = !parse.GetValue(skipImages),
            InShopCategoriesFromPath = parse.GetValue(categoriesFromPath),
        }));
        return command;
    }

    private static int Run(string format, string root, bool lenient, ReaderOptions options)
    {
        FashionDataset dataset;
        try
        {
            dataset = DatasetOptions.Read(root, format, options);
        }
        catch (Exception e) when (e is DeepFashionFormatException or DirectoryNotFoundException)
        {
            // Plain writes, not Spectre's: one unwrapped line per problem, easy to grep.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        AnsiConsole.MarkupLineInterpolated($"[bold]{dataset.Format}[/] dataset at {dataset.Root}");
        WriteSplits(dataset);
        WriteAnnotations(dataset);
        if (dataset.Samples.Any(s => s.CategoryLabel is not null)) WriteCategories(dataset);
        if (dataset.Samples.Any(s => s.Landmarks is not null)) WriteLandmarkStatistics(dataset);

        var issues = dataset.Report.Issues;
        if (issues.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]no problems found[/]");
            return 0;
        }
        AnsiConsole.MarkupLineInterpolated($"[{(lenient ? "yellow" : "red")}]{issues.Count} problem(s):[/]");
        foreach (var issue in issues) Console.WriteLine($"  {issue}");
        return lenient ? 0 : 1;
    }

    private static void WriteSplits(FashionDataset dataset)
    {
        var table = new Table().Title("images per split").AddColumn("split").AddColumn("images", c => c.RightAligned());
        bool hasItems = dataset.Items.Count > 0;
        bool hasPairs = dataset.Format == DeepFashionFormat.ConsumerToShop;
        if (hasItems) table.AddColumn("items", c => c.RightAligned());
        if (hasPairs) table.AddColumn("pairs", c => c.RightAligned());
        foreach (var group in dataset.Samples.GroupBy(s => s.Split).OrderBy(g => g.Key))
        {
            var cells = new List<string> { group.Key?.ToFileToken() ?? "(none)", group.Count().ToString("N0") };
            if (hasItems) cells.Add(group.Where(s => s.ItemIndex is not null).Select(s => s.ItemIndex).Distinct().Count().ToString("N0"));
            if (hasPairs) cells.Add(dataset.Pairs.Count(p => p.Split == group.Key).ToString("N0"));
            table.AddRow(cells.ToArray());
        }
        table.AddRow($"[bold]total[/]", dataset.Samples.Count.ToString("N0"));
        AnsiConsole.Write(table);

        if (hasItems)
        {
            var trainItems = dataset.Samples.Where(s => s.Split == EvaluationSplit.Train && s.ItemIndex is not null).Select(s => s.ItemIndex!.Value).ToHashSet();
            int shared = dataset.Samples.Where(s => s.Split != EvaluationSplit.Train && s.ItemIndex is { } i && trainItems.Contains(i))
                .Select(s => s.ItemIndex).Distinct().Count();
            AnsiConsole.MarkupLineInterpolated($"items: {dataset.Items.Count:N0} in the item table; {shared:N0} shared between train and the other splits");
        }
    }

    private static void WriteAnnotations(FashionDataset dataset)
    {
        var samples = dataset.Samples;
        var table = new Table().Title("annotations").AddColumn("what").AddColumn("images", c => c.RightAligned());
        table.AddRow("bounding box", samples.Count(s => s.BoundingBox is not null).ToString("N0"));
        table.AddRow("landmarks", samples.Count(s => s.Landmarks is not null).ToString("N0"));
        foreach (var type in Enum.GetValues<ClothesType>())
            table.AddRow($"  clothes type {(int)type} ({type})", samples.Count(s => s.ClothesType == type).ToString("N0"));
        table.AddRow($"category ({dataset.Categories.Count} names)", samples.Count(s => s.CategoryLabel is not null).ToString("N0"));
        table.AddRow($"attributes ({dataset.Attributes.Count} names)", samples.Count(s => s.Attributes is not null).ToString("N0"));
        AnsiConsole.Write(table);
    }

    /// <summary>Images per category and split; every class of the table is listed, those without images too.</summary>
    private static void WriteCategories(FashionDataset dataset)
    {
        var splits = dataset.Samples.Select(s => s.Split).Distinct().OrderBy(s => s).ToList();
        var table = new Table().Title("images per category").AddColumn("label", c => c.RightAligned()).AddColumn("category").AddColumn("clothes type");
        foreach (var split in splits) table.AddColumn(split?.ToFileToken() ?? "(none)", c => c.RightAligned());
        table.AddColumn("total", c => c.RightAligned());
        var counts = dataset.Samples.Where(s => s.CategoryLabel is not null).CountBy(s => (s.CategoryLabel!.Value, s.Split)).ToDictionary();
        int classes = Math.Max(dataset.Categories.Count, dataset.Samples.Max(s => s.CategoryLabel) ?? 0);
        for (int label = 1; label <= classes; label++)
        {
            var category = label <= dataset.Categories.Count ? dataset.Categories[label - 1] : null;
            var cells = new List<string> { label.ToString(), Markup.Escape(category?.Name ?? "(no name)"), category?.Type.ToString() ?? "" };
            cells.AddRange(splits.Select(split => counts.GetValueOrDefault((label, split)).ToString("N0")));
            cells.Add(splits.Sum(split => counts.GetValueOrDefault((label, split))).ToString("N0"));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }

    private static void WriteLandmarkStatistics(FashionDataset dataset)
    {
        var table = new Table().Title("landmark visibility per slot")
            .AddColumn("slot").AddColumn("present", c => c.RightAligned()).AddColumn("visible", c => c.RightAligned())
            .AddColumn("occluded", c => c.RightAligned()).AddColumn("truncated", c => c.RightAligned());
        foreach (var slot in Enum.GetValues<LandmarkSlot>())
        {
            var present = dataset.Samples.Where(s => s.Landmarks?.IsPresent(slot) == true).Select(s => s.Landmarks![slot].Visibility).ToList();
            table.AddRow(slot.ToString(), present.Count.ToString("N0"),
                present.Count(v => v == LandmarkVisibility.Visible).ToString("N0"),
                present.Count(v => v == LandmarkVisibility.Occluded).ToString("N0"),
                present.Count(v => v == LandmarkVisibility.Truncated).ToString("N0"));
        }
        AnsiConsole.Write(table);
    }
}
