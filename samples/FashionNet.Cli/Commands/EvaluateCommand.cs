using System.CommandLine;
using System.Diagnostics;
using FashionNet.Cli.Reporting;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Model;
using FashionNet.Retrieval;
using TorchSharp;
using static TorchSharp.torch;
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
        var sheet = new Option<FileInfo?>("--contact-sheet") { Description = "Retrieval: also write a PNG of a few queries (spread over the query list) with their top matches." };
        var localLandmarks = new Option<LandmarkSource>("--local-landmarks")
        {
            Description = "Checkpoints: where the local branch pools, predicted (as trained) or none (a test-time ablation: the embedding without the local branch's evidence).",
            DefaultValueFactory = _ => LandmarkSource.Predicted,
        };
        localLandmarks.AcceptOnlyFromAmong("predicted", "none");
        var sheetRows = new Option<int>("--sheet-queries") { Description = "Queries on the contact sheet.", DefaultValueFactory = _ => 6 };
        sheetRows.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--sheet-queries must be at least 1.");
        });
        command.Options.Add(data);
        command.Options.Add(format);
        command.Options.Add(output);
        command.Options.Add(sheet);
        command.Options.Add(sheetRows);
        command.Options.Add(localLandmarks);
        command.SetAction(parse => Run(embedder, parse, parse.GetValue(data)!.FullName, parse.GetValue(format)!, parse.GetValue(output)!.FullName,
            parse.GetValue(sheet)?.FullName, parse.GetValue(sheetRows), parse.GetValue(localLandmarks)));
        return command;
    }

    private static int Run(EmbedderChoice choice, ParseResult parse, string root, string protocol, string outputPath, string? sheetPath, int sheetRows,
        LandmarkSource localLandmarks)
    {
        var clock = Stopwatch.StartNew();
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
        if (localLandmarks != LandmarkSource.Predicted)
        {
            var model = embedder is FashionNetEmbedder trained ? trained.Model : throw new ArgumentException("--local-landmarks needs --checkpoint: a baseline has no local branch.");
            model.EvaluationLandmarks = localLandmarks;
            AnsiConsole.MarkupLineInterpolated($"[yellow]the local branch pools at: {localLandmarks}[/]");
        }
        AnsiConsole.MarkupLineInterpolated($"[bold]{protocol}[/] on {dataset.Root} with [bold]{embedder.Fingerprint}[/]");

        BenchmarkReport report;
        if (retrieval)
        {
            var (queries, gallery) = RetrievalImages(dataset, format);
            int[] indices = [.. queries, .. gallery];
            using var embeddings = Embed(embedder, dataset, indices, options, cancel.Token);
            var result = format == DeepFashionFormat.InShop
                ? BenchmarkEvaluation.InShopRetrieval(dataset, indices, embeddings)
                : BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, indices, embeddings);
            AnsiConsole.Write(EvaluationTables.Retrieval(result, format == DeepFashionFormat.InShop ? "In-shop retrieval" : "Consumer-to-shop retrieval"));
            report = new BenchmarkReport(embedder.Fingerprint, dataset.Root, protocol, indices.Length, Retrieval: result);
            if (sheetPath is not null) WriteContactSheet(dataset, queries, gallery, embeddings, sheetRows, sheetPath);
        }
        else
        {
            var trained = embedder as FashionNetEmbedder ?? throw new InvalidOperationException("A checkpoint is needed.");
            var indices = PredictionImages(dataset);
            using var predictions = Predict(trained, dataset, indices, options, cancel.Token);
            var category = CoversCategories(dataset, indices, trained.Model.Options.CategoryCount) ? BenchmarkEvaluation.Categories(dataset, predictions) : null;
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
        AnsiConsole.MarkupLineInterpolated($"results written to [bold]{outputPath}[/]; evaluated in {clock.Elapsed:mm\\:ss}");
        return 0;
    }

    /// <summary>
    /// The embeddings of the images; for a FashionNet checkpoint through its full predictions (the same evaluation
    /// transform), which also say how much the local branch had to pool on these images.
    /// </summary>
    private static Tensor Embed(IImageEmbedder embedder, FashionDataset dataset, IReadOnlyList<int> indices, EmbeddingOptions options, CancellationToken cancellationToken)
    {
        if (embedder is not FashionNetEmbedder trained)
        {
            return ProgressDisplay.WithProgress("embedding", indices.Count,
                progress => ImageEmbedding.EmbedSamples(embedder, dataset, indices, options, progress, cancellationToken));
        }
        using var predictions = Predict(trained, dataset, indices, options, cancellationToken);
        WritePooledLandmarks(trained.Model, predictions);
        return predictions.Embeddings.clone();
    }

    /// <summary>Every prediction of a checkpoint's model on the images, with the evaluation transform, behind a status spinner.</summary>
    private static DatasetPredictions Predict(FashionNetEmbedder trained, FashionDataset dataset, IReadOnlyList<int> indices, EmbeddingOptions options,
        CancellationToken cancellationToken)
    {
        var loader = FashionDataLoader.ForEvaluation(dataset, indices, trained.ImageSize, trained.Normalizer, options.BatchSize, options.Loader);
        return AnsiConsole.Status().Start($"predicting {indices.Count:N0} images", _ => DatasetPredictions.Predict(trained.Model, loader, cancellationToken));
    }

    /// <summary>How many landmark slots per image pass the visibility gate: the local branch pools only at those.</summary>
    private static void WritePooledLandmarks(FashionNetModel model, DatasetPredictions predictions)
    {
        if (!model.Options.UseLocalBranch) return;
        if (model.EvaluationLandmarks == LandmarkSource.None)
        {
            AnsiConsole.MarkupLine("local branch: nothing pooled (--local-landmarks none)");
            return;
        }
        int slots = model.Options.LandmarkCount, rows = predictions.SampleIndices.Count;
        var pooled = new int[slots];
        for (int i = 0; i < predictions.VisibilityProbabilities.Length; i++)
            if (predictions.VisibilityProbabilities[i] > model.Options.VisibilityThreshold) pooled[i % slots]++;
        double perImage = pooled.Sum() / (double)Math.Max(1, rows);
        AnsiConsole.MarkupLineInterpolated(
            $"local branch: {perImage:0.00} of {slots} landmarks pooled per image; share of images per slot: {string.Join(", ", pooled.Select((c, s) => $"{(LandmarkSlot)s} {c / (double)Math.Max(1, rows):0.00}"))}");
    }

    /// <summary>In-shop: the query and gallery images; Consumer-to-shop: the consumer and shop images of the test pairs.</summary>
    private static (IReadOnlyList<int> Queries, IReadOnlyList<int> Gallery) RetrievalImages(FashionDataset dataset, DeepFashionFormat format)
    {
        if (format == DeepFashionFormat.InShop) return (dataset.IndicesOf(EvaluationSplit.Query), dataset.IndicesOf(EvaluationSplit.Gallery));
        var (consumers, shops) = BenchmarkEvaluation.ConsumerToShopImages(dataset);
        return ([.. consumers], [.. shops]);
    }

    /// <summary>The sheet from the embeddings already computed: rows <c>[queries..., gallery...]</c>, searched by cosine similarity.</summary>
    private static void WriteContactSheet(FashionDataset dataset, IReadOnlyList<int> queries, IReadOnlyList<int> gallery, Tensor embeddings, int rows,
        string pngPath)
    {
        using var scope = torch.NewDisposeScope();
        var galleryEmbeddings = embeddings.narrow(0, queries.Count, gallery.Count);
        var rowOfQuery = queries.Select((sample, row) => (sample, row)).ToDictionary(p => p.sample, p => p.row);
        QuerySheet.Write(dataset, queries, rows, query =>
        {
            var neighbors = SimilaritySearch.Search(embeddings.narrow(0, rowOfQuery[query], 1), galleryEmbeddings, QuerySheet.MatchesPerQuery);
            var scores = neighbors.GetScores(0).ToArray();
            return [.. neighbors.GetIndices(0).ToArray().Select((g, rank) =>
                new RetrievalMatch(rank + 1, scores[rank], dataset.Samples[gallery[g]].ItemId ?? "", dataset.ImageFullPath(dataset.Samples[gallery[g]]), g))];
        }, pngPath);
        AnsiConsole.MarkupLineInterpolated($"contact sheet written to [bold]{pngPath}[/]");
    }

    /// <summary>
    /// Whether the images have category labels that the model's head scores. A model trained on other categories (or
    /// none, like one trained on In-shop photos) still has landmarks and attributes worth measuring, so this says why
    /// categories are skipped instead of failing.
    /// </summary>
    private static bool CoversCategories(FashionDataset dataset, IReadOnlyList<int> indices, int modelCategories)
    {
        int highest = indices.Select(i => dataset.Samples[i].CategoryLabel ?? 0).DefaultIfEmpty(0).Max();
        if (highest == 0) return false;
        if (highest <= modelCategories) return true;
        AnsiConsole.MarkupLineInterpolated($"[yellow]categories not evaluated: the images have labels up to {highest}, the model scores {modelCategories}[/]");
        return false;
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
