using System.CommandLine;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet evaluate</c>: the DeepFashion protocols for a checkpoint or a baseline embedding. Retrieval
/// (<c>inshop</c>, <c>c2s</c>) works with any embedding; <c>category</c> and <c>landmarks</c> need a checkpoint (the
/// model's heads). Prints tables and writes the results as JSON.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var command = new Command("evaluate", "Evaluate a checkpoint or a baseline embedding on a DeepFashion benchmark.");
        var embedder = EmbedderChoice.AddTo(command);
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset folder (holding Eval/, Anno/ and the images).", Required = true };
        var format = DatasetOptions.Format("inshop", "c2s", "category", "landmarks", "synthetic");
        var output = new Option<FileInfo>("--out") { Description = "Where to write the results as JSON.", DefaultValueFactory = _ => new FileInfo("results.json") };
        command.Options.Add(data);
        command.Options.Add(format);
        command.Options.Add(output);
        command.SetAction(parse => Run(embedder, parse, parse.GetValue(data)!.FullName, parse.GetValue(format)!, parse.GetValue(output)!.FullName));
        return command;
    }

    private static int Run(EmbedderChoice choice, ParseResult parse, string root, string protocol, string outputPath)
    {
        var format = DatasetOptions.Formats[protocol];
        // A synthetic folder is evaluated through its In-shop layout, with the In-shop protocol.
        if (protocol == "synthetic") protocol = "inshop";
        bool retrieval = format is DeepFashionFormat.InShop or DeepFashionFormat.ConsumerToShop;
        if (!retrieval && parse.GetValue(choice.Baseline) is not null)
            throw new ArgumentException($"--format {protocol} measures a model's category, attribute and landmark predictions: give --checkpoint; a baseline embedding has none.");

        var dataset = DatasetOptions.Read(root, protocol);
        using var cancel = CliCancellation.OnCtrlC();
        using var embedder = choice.Load(parse);
        var options = choice.Options(parse);
        AnsiConsole.MarkupLineInterpolated($"[bold]{protocol}[/] on {dataset.Root} with [bold]{embedder.Fingerprint}[/]");

        BenchmarkReport report;
        if (retrieval)
        {
            var indices = RetrievalImages(dataset, format);
            using var embeddings = ProgressDisplay.WithProgress("embedding", indices.Count,
                progress => ImageEmbedding.EmbedSamples(embedder, dataset, indices, options, progress, cancel.Token));
            var result = format == DeepFashionFormat.InShop
                ? BenchmarkEvaluation.InShopRetrieval(dataset, indices, embeddings)
                : BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, indices, embeddings);
            AnsiConsole.Write(EvaluationTables.Retrieval(result, format == DeepFashionFormat.InShop ? "In-shop retrieval" : "Consumer-to-shop retrieval"));
            report = new BenchmarkReport(embedder.Fingerprint, dataset.Root, protocol, indices.Count, Retrieval: result);
        }
        else
        {
            var model = embedder is FashionNetEmbedder trained ? trained.Model : throw new InvalidOperationException("A checkpoint is needed.");
            var indices = PredictionImages(dataset);
            var loader = FashionDataLoader.ForEvaluation(dataset, indices, embedder.ImageSize, embedder.Normalizer, options.BatchSize, options.Loader);
            using var predictions = AnsiConsole.Status().Start($"predicting {indices.Count:N0} images", _ => DatasetPredictions.Predict(model, loader, cancel.Token));
            var category = dataset.Samples.Any(s => s.CategoryLabel is not null) ? BenchmarkEvaluation.Categories(dataset, predictions) : null;
            var attributes = dataset.Samples.Any(s => s.Attributes is { PositiveCount: > 0 }) ? BenchmarkEvaluation.Attributes(dataset, predictions) : null;
            var landmarks = dataset.Samples.Any(s => s.Landmarks is not null) ? BenchmarkEvaluation.Landmarks(dataset, predictions) : null;
            if (category is null && attributes is null && landmarks is null)
                throw new InvalidOperationException($"'{dataset.Root}' has no category, attribute or landmark annotations to evaluate against.");
            if (category is not null) AnsiConsole.Write(EvaluationTables.Category(category));
            if (attributes is not null) AnsiConsole.Write(EvaluationTables.Attributes(attributes));
            if (landmarks is not null) AnsiConsole.Write(EvaluationTables.Landmarks(landmarks));
            report = new BenchmarkReport(embedder.Fingerprint, dataset.Root, protocol, indices.Count, null, category, attributes, landmarks);
        }

        EvaluationJson.Write(outputPath, report);
        AnsiConsole.MarkupLineInterpolated($"results written to [bold]{outputPath}[/]");
        return 0;
    }

    /// <summary>In-shop: the query and gallery images; Consumer-to-shop: the consumer and shop images of the test pairs.</summary>
    private static IReadOnlyList<int> RetrievalImages(FashionDataset dataset, DeepFashionFormat format)
    {
        if (format == DeepFashionFormat.InShop)
            return [.. dataset.IndicesOf(EvaluationSplit.Query), .. dataset.IndicesOf(EvaluationSplit.Gallery)];
        var (consumers, shops) = BenchmarkEvaluation.ConsumerToShopImages(dataset);
        return [.. consumers, .. shops];
    }

    /// <summary>The test split when the dataset has one, otherwise every image (e.g. a landmark set without a partition).</summary>
    private static IReadOnlyList<int> PredictionImages(FashionDataset dataset)
    {
        var test = dataset.IndicesOf(EvaluationSplit.Test);
        if (test.Count > 0) return test;
        AnsiConsole.MarkupLine("[yellow]no test split: evaluating every image[/]");
        return [.. Enumerable.Range(0, dataset.Samples.Count)];
    }
}
