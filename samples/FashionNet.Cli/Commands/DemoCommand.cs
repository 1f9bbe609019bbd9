using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FashionNet.Model;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Data.Synthetic;
using FashionNet.Diagnostics;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Retrieval;
using FashionNet.Training;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet demo</c>: the whole library end to end on a fresh machine. Makes a synthetic In-shop set (or reads a
/// real one), measures the off-the-shelf ImageNet baseline, fine-tunes FashionNet from ImageNet ResNet18 in two
/// stages, measures it again, builds a retrieval index of the gallery, runs queries and writes the charts and a
/// contact sheet.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for everything the demo writes.", DefaultValueFactory = _ => new DirectoryInfo("runs/demo") };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Use this In-shop dataset instead of generating a synthetic one." };
        var format = new Option<string>("--format") { Description = "Layout of --data (inshop).", DefaultValueFactory = _ => "inshop" };
        format.AcceptOnlyFromAmong("inshop");
        var items = new Option<int>("--items") { Description = "Synthetic items to generate (half train, half test).", DefaultValueFactory = _ => 160 };
        var imageSize = new Option<int>("--image-size") { Description = "Network input size in pixels.", DefaultValueFactory = _ => 112 };
        var config = new Option<FileInfo>("--config") { Description = "Training configuration.", DefaultValueFactory = _ => new FileInfo(Path.Combine(AppContext.BaseDirectory, "configs", "demo.json")) };
        var workers = new Option<int>("--workers") { Description = "Image decoding workers.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("demo", "Run FashionNet.Core end to end: data, baseline, two-stage fine-tuning, evaluation, index and query.")
        {
            output, data, format, items, imageSize, config, workers,
        };
        command.SetAction(parse => Run(parse.GetValue(output)!.FullName, parse.GetValue(data)?.FullName, parse.GetValue(items),
            parse.GetValue(imageSize), parse.GetValue(config)!.FullName, parse.GetValue(workers)));
        return command;
    }

    private static int Run(string output, string? dataRoot, int items, int imageSize, string configPath, int workers)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(output);
        WritePlatform();
        using var cancel = CliCancellation.OnCtrlC();

        var dataset = dataRoot is null ? DatasetOptions.Synthesize(Path.Combine(output, "data"), items, imageSize, seed: 1) : DatasetOptions.Read(dataRoot, "inshop");
        var queries = dataset.IndicesOf(EvaluationSplit.Query);
        var gallery = dataset.IndicesOf(EvaluationSplit.Gallery);
        var embedding = new EmbeddingOptions { Loader = new() { Workers = workers } };
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]1. data[/]  {dataset.Samples.Count:N0} images of {dataset.Items.Count:N0} items: {dataset.IndicesOf(EvaluationSplit.Train).Count:N0} train, {queries.Count:N0} queries, {gallery.Count:N0} gallery");

        AnsiConsole.MarkupLine("[bold]2. baseline[/]  ImageNet ResNet18 off the shelf (global-average-pooled 512-d)");
        BenchmarkReport before;
        using (var baseline = ImageNetBaselineEmbedder.Load())
            before = Evaluate(baseline, dataset, embedding, cancel.Token);

        AnsiConsole.MarkupLine("[bold]3. training[/]  FashionNet from ImageNet ResNet18: stage 1 landmarks, stage 2 all losses");
        var options = TrainingOptions.Load(configPath);
        var recipe = new ModelRecipe { ImageSize = imageSize, EmbeddingSize = 128 };
        string runDirectory = Path.Combine(output, "run");
        TrainingSummary summary;
        using (var training = FashionNetTraining.Create(dataset, recipe, options, new TrainingDataOptions { Workers = workers }))
            summary = TrainingConsole.Run(training, runDirectory, resume: false, cancel.Token);

        AnsiConsole.MarkupLine("[bold]4. evaluation[/]  the best checkpoint on the held-out items");
        using var trained = FashionNetEmbedder.FromCheckpoint(summary.BestCheckpoint);
        WriteComparison(before, Evaluate(trained, dataset, embedding, cancel.Token));

        AnsiConsole.MarkupLine("[bold]5. index and query[/]");
        string indexPath = Path.Combine(output, "gallery.fnidx");
        int indexed = VisualSearch.BuildIndex(indexPath, trained, dataset, gallery, append: false, embedding, cancellationToken: cancel.Token);
        using var search = VisualSearch.Open(indexPath, trained);
        string sheetPath = Path.Combine(output, "queries.png");
        QuerySheet.Write(dataset, queries, rows: 4, q => search.Query(dataset.ImageFullPath(dataset.Samples[q]), QuerySheet.MatchesPerQuery), sheetPath);

        var table = new Table().Title($"demo finished in {clock.Elapsed:mm\\:ss}").AddColumn("what").AddColumn("where");
        if (dataRoot is null) table.AddRow("synthetic data (In-shop, Category, Landmark formats)", Markup.Escape(Path.Combine(output, "data")));
        table.AddRow("checkpoints, metrics.jsonl, config", Markup.Escape(runDirectory));
        table.AddRow("loss and validation charts", Markup.Escape(Path.Combine(runDirectory, "loss_curves.png")) + ", validation.png");
        table.AddRow($"retrieval index ({indexed:N0} gallery images)", Markup.Escape(indexPath));
        table.AddRow("contact sheet of queries and matches", Markup.Escape(sheetPath));
        AnsiConsole.Write(table);
        return 0;
    }

    private static void WritePlatform()
    {
        var report = EnvironmentReport.Collect();
        var kernels = KernelAvailabilitySummary();
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]TorchSharp {report.TorchSharpVersion}, LibTorch {report.LibTorchVersion}, {report.IntraOpThreads} threads, CUDA devices: {report.CudaDeviceCount}, autograd self-test {(report.SelfTestPassed ? "passed" : "FAILED")}; kernels: {kernels}[/]");
        if (!report.SelfTestPassed) throw new InvalidOperationException("The TorchSharp autograd self-test failed: LibTorch does not compute correctly here.");
    }

    private static string KernelAvailabilitySummary() => string.Join(", ",
        Kernels.Gpu.KernelAvailability.Probe().Select(s => $"{s.Backend}/{s.Target} {(s.IsAvailable ? "yes" : "no")}"));

    /// <summary>The held-out items' measures (a trained model's retrieval and landmarks from one pass over the images).</summary>
    private static BenchmarkReport Evaluate(IImageEmbedder embedder, FashionDataset dataset, EmbeddingOptions options, CancellationToken cancellationToken)
    {
        using var result = DatasetEvaluation.Evaluate(embedder, dataset, new DatasetEvaluationOptions { Embedding = options }, cancellationToken: cancellationToken);
        return result.Report;
    }

    private static void WriteComparison(BenchmarkReport before, BenchmarkReport after)
    {
        var table = new Table().Title("held-out items: before and after fine-tuning").AddColumn("measure")
            .AddColumn("ImageNet baseline", c => c.RightAligned()).AddColumn("FashionNet", c => c.RightAligned());
        foreach (var (b, a) in before.Retrieval!.HitRate.Zip(after.Retrieval!.HitRate))
            table.AddRow($"retrieval hit rate @{b.K}", Format(b.Rate), Format(a.Rate));
        table.AddRow("landmark normalized error (visible)", "-", after.Landmarks?.MeanError is { } e ? Format(e) : "-");
        foreach (var rate in after.Landmarks?.DetectionRates ?? [])
            table.AddRow($"landmark detection @{rate.Threshold.ToString(CultureInfo.InvariantCulture)}", "-", Format(rate.Rate));
        AnsiConsole.Write(table);
    }

    private static string Format(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
