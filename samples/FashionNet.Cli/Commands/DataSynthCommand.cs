using System.CommandLine;
using System.Diagnostics;
using FashionNet.Data.Synthetic;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary><c>fashionnet data synth</c>: writes a synthetic DeepFashion set in the official formats.</summary>
internal static class DataSynthCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder (created; must be empty unless --overwrite)", Required = true };
        var items = new Option<int>("--items") { Description = $"Number of garment items (2..{SyntheticDataset.MaxItems})", DefaultValueFactory = _ => 300 };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed writes the same bytes", DefaultValueFactory = _ => 1 };
        var views = new Option<int>("--views") { Description = "Images per item (2..99)", DefaultValueFactory = _ => 4 };
        var size = new Option<int>("--size") { Description = "Image width and height in pixels (32..1024)", DefaultValueFactory = _ => 128 };
        var format = new Option<SyntheticImageFormat>("--format") { Description = "Image format", DefaultValueFactory = _ => SyntheticImageFormat.Jpeg };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output folder" };

        var command = new Command("synth", "Write a synthetic DeepFashion set (In-shop, Category and Attribute, Landmark Detection formats).")
        {
            output, items, seed, views, size, format, overwrite,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(new SyntheticDatasetOptions
        {
            Items = parseResult.GetValue(items),
            Seed = parseResult.GetValue(seed),
            ViewsPerItem = parseResult.GetValue(views),
            ImageSize = parseResult.GetValue(size),
            ImageFormat = parseResult.GetValue(format),
        }, parseResult.GetValue(output)!.FullName, parseResult.GetValue(overwrite), cancellationToken)));
        return command;
    }

    private static int Run(SyntheticDatasetOptions options, string output, bool overwrite, CancellationToken cancellationToken)
    {
        try
        {
            var stopwatch = Stopwatch.StartNew();
            SyntheticDataset dataset = SyntheticDataset.Generate(options);
            SyntheticDatasetLayout layout = SyntheticDatasetWriter.Write(dataset, output, overwrite, cancellationToken);
            stopwatch.Stop();

            var table = new Table().Title($"Synthetic DeepFashion (seed {options.Seed})").AddColumn("benchmark").AddColumn("folder");
            table.AddRow("In-shop", Markup.Escape(layout.InShop));
            table.AddRow("Category and Attribute", Markup.Escape(layout.CategoryAndAttribute));
            table.AddRow("Landmark Detection", Markup.Escape(layout.LandmarkDetection));
            AnsiConsole.Write(table);
            int trainItems = dataset.Items.Count(i => i.IsTrain);
            AnsiConsole.MarkupLine(
                $"{dataset.Items.Count} items ({trainItems} train, {dataset.Items.Count - trainItems} test), {dataset.Views.Count} images " +
                $"of {options.ImageSize}x{options.ImageSize} px in {stopwatch.Elapsed.TotalSeconds:F1} s.");
            return 0;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled[/]; nothing was written.");
            return 130;
        }
    }
}
