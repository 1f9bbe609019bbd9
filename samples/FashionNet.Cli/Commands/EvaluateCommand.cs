using System.CommandLine;
using System.Diagnostics;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Model;
using FashionNet.Retrieval;
using TorchSharp;
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
        var categoriesFromPath = DatasetOptions.CategoriesFromPath();
        var output = new Option<FileInfo>("--out") { Description = "Where to write the results as JSON.", DefaultValueFactory = _ => new FileInfo("results.json") };
        var sheet = new Option<FileInfo?>("--contact-sheet") {
            Description = "Also write a PNG: for retrieval, a few queries (spread over the query list) with their top matches; for landmarks (a checkpoint "
                + "on annotated images), a few images with their true (green) and predicted (red) landmarks.",
        };
        var localLandmarks = new Option<LandmarkSource>("--local-landmarks")
        {
            Description = "Checkpoints: where the local branch pools, predicted (as trained) or none (a test-time ablation: the embedding without the local branch's evidence).",
            DefaultValueFactory = _ => LandmarkSource.Predicted,
        };
        localLandmarks.AcceptOnlyFromAmong("predicted", "none");
        var landmarksCsv = new Option<FileInfo?>("--landmarks-csv")
        {
            Description = "Checkpoints: also write every image's predicted landmarks (source-image pixels, visibility probability) beside its annotated ones, one CSV row per image and slot.",
        };
        var neighbourCategories = new Option<int>("--neighbour-categories")
        {
            Description = "Also measure categories by a vote of each image's K nearest training images (same embedding, cosine): whether the "
                + "embedding alone separates garment categories. 0 (default) skips it.",
        };
        neighbourCategories.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0) result.AddError("--neighbour-categories must not be negative.");
        });
        var sheetRows = new Option<int>("--sheet-queries") { Description = "Queries (retrieval) or images (landmarks) on the contact sheet.", DefaultValueFactory = _ => 6 };
        sheetRows.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--sheet-queries must be at least 1.");
        });
        command.Options.Add(data);
        command.Options.Add(format);
        command.Options.Add(categoriesFromPath);
        command.Options.Add(output);
        command.Options.Add(sheet);
        command.Options.Add(sheetRows);
        command.Options.Add(localLandmarks);
        command.Options.Add(landmarksCsv);
        command.Options.Add(neighbourCategories);
        command.SetAction(parse => Run(embedder, parse, parse.GetValue(data)!.FullName, parse.GetValue(format)!, parse.GetValue(categoriesFromPath), parse.GetValue(output)!.FullName,
            parse.GetValue(sheet)?.FullName, parse.GetValue(sheetRows), parse.GetValue(localLandmarks), parse.GetValue(landmarksCsv)?.FullName,
            parse.GetValue(neighbourCategories)));
        return command;
    }

    private static int Run(EmbedderChoice choice, ParseResult parse, string root, string format, bool categoriesFromPath, string outputPath, string? sheetPath, int sheetRows,
        LandmarkSource localLandmarks, string? landmarksCsvPath, int neighbourCategories)
    {
        var clock = Stopwatch.StartNew();
        var dataset = DatasetOptions.Read(root, format, categoriesFromPath);
        var protocol = DatasetEvaluation.ProtocolOf(dataset.Format);
        if (protocol == EvaluationProtocol.Predictions && parse.GetValue(choice.Baseline) is not null)
            throw new ArgumentException($"--format {format} measures a model's category, attribute and landmark predictions: give --checkpoint; a baseline embedding has none.");
        if (choice.IsOnnx(parse) && (protocol == EvaluationProtocol.Predictions || localLandmarks != LandmarkSource.Predicted))
        {
            string needs = protocol == EvaluationProtocol.Predictions ? $"--format {format}" : $"--local-landmarks {localLandmarks}";
            throw new ArgumentException($"--runtime {parse.GetValue(choice.Runtime)} measures retrieval at predicted landmarks only: {needs} needs --runtime torch.");
        }
        if (landmarksCsvPath is not null && (parse.GetValue(choice.Baseline) is not null || choice.IsOnnx(parse)))
            throw new ArgumentException("--landmarks-csv needs --checkpoint with --runtime torch: only a FashionNet model in LibTorch predicts landmarks.");
        var voters = neighbourCategories > 0 ? NeighbourCategories.ReferenceImages(dataset) : [];
        if (neighbourCategories > 0 && voters.Count == 0)
            throw new ArgumentException($"--neighbour-categories: '{dataset.Root}' has no training images with a category to vote (In-shop: add --categories-from-path).");

        using var cancel = CliCancellation.OnCtrlC();
        using var embedder = choice.Load(parse);
        if (localLandmarks != LandmarkSource.Predicted)
        {
            var model = embedder is FashionNetEmbedder trained ? trained.Model : throw new ArgumentException("--local-landmarks needs --checkpoint: a baseline has no local branch.");
            model.EvaluationLandmarks = localLandmarks;
            AnsiConsole.MarkupLineInterpolated($"[yellow]the local branch pools at: {localLandmarks}[/]");
        }
        AnsiConsole.MarkupLineInterpolated($"[bold]{protocol}[/] on {dataset.Root} with [bold]{embedder.Fingerprint}[/]");
        if (choice.IsOnnx(parse) && parse.GetValue(choice.Checkpoint) is not null)
            AnsiConsole.MarkupLineInterpolated($"[yellow]--runtime {parse.GetValue(choice.Runtime)} measures retrieval only: the category, attribute and landmark measures need --runtime torch[/]");

        int images = DatasetEvaluation.ImagesOf(dataset, protocol).All.Count;
        var options = new DatasetEvaluationOptions { Embedding = choice.Options(parse) };
        using var result = ProgressDisplay.WithProgress("evaluating", images,
            progress => DatasetEvaluation.Evaluate(embedder, dataset, options, progress, cancel.Token));
        var report = result.Report;
        if (neighbourCategories > 0)
        {
            var vote = ProgressDisplay.WithProgress("embedding the training images", voters.Count, progress => NeighbourCategories.Evaluate(embedder, dataset, result,
                new NeighbourCategoryOptions { Neighbours = neighbourCategories }, options.Embedding, progress, cancel.Token));
            report = report with { NeighbourCategory = vote };
        }
        foreach (string note in result.Notes) AnsiConsole.MarkupLineInterpolated($"[yellow]{note}[/]");
        foreach (var table in EvaluationTables.All(report)) AnsiConsole.Write(table);
        // The measures first: a contact sheet or CSV that cannot be written must not cost the evaluation's results.
        EvaluationJson.Write(outputPath, report);
        AnsiConsole.MarkupLineInterpolated($"results written to [bold]{outputPath}[/]");
        if (sheetPath is not null)
        {
            if (result.Report.Retrieval is not null)
            {
                WriteContactSheet(dataset, result, sheetRows, sheetPath);
            }
            else if (result.Report.Landmarks is not null && result.Landmarks is { } predicted)
            {
                LandmarkSheet.Write(dataset, result.Images.All, predicted.SourcePositions, sheetRows, sheetPath);
                AnsiConsole.MarkupLineInterpolated($"contact sheet written to [bold]{sheetPath}[/] (true landmarks green, predictions red)");
            }
            else
            {
                AnsiConsole.MarkupLine("[yellow]no contact sheet: it shows retrieval, or a checkpoint's landmarks on annotated images, and this evaluation has neither[/]");
            }
        }
        if (landmarksCsvPath is not null)
        {
            result.Landmarks!.WriteCsv(dataset, result.Images.All, landmarksCsvPath);
            AnsiConsole.MarkupLineInterpolated($"predicted landmarks written to [bold]{landmarksCsvPath}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"evaluated in {clock.Elapsed:mm\\:ss}");
        return 0;
    }

    /// <summary>The sheet from the embeddings the evaluation computed (query rows first, then gallery), searched by cosine similarity.</summary>
    private static void WriteContactSheet(FashionDataset dataset, DatasetEvaluationResult result, int rows, string pngPath)
    {
        using var scope = torch.NewDisposeScope();
        var (queries, gallery) = (result.Images.Queries, result.Images.Gallery);
        var galleryEmbeddings = result.Embeddings.narrow(0, queries.Count, gallery.Count);
        var rowOfQuery = queries.Select((sample, row) => (sample, row)).ToDictionary(p => p.sample, p => p.row);
        QuerySheet.Write(dataset, queries, rows, query =>
        {
            var neighbors = SimilaritySearch.Search(result.Embeddings.narrow(0, rowOfQuery[query], 1), galleryEmbeddings, QuerySheet.MatchesPerQuery);
            var scores = neighbors.GetScores(0).ToArray();
            return [.. neighbors.GetIndices(0).ToArray().Select((g, rank) =>
                new RetrievalMatch(rank + 1, scores[rank], dataset.Samples[gallery[g]].ItemId ?? "", dataset.ImageFullPath(dataset.Samples[gallery[g]]), g))];
        }, pngPath);
        AnsiConsole.MarkupLineInterpolated($"contact sheet written to [bold]{pngPath}[/]");
    }
}
