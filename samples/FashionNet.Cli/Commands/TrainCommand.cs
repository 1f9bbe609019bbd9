using System.CommandLine;
using FashionNet.Model;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Model.Backbones;
using FashionNet.Training;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet train</c>: two-stage FashionNet training from a JSON config, with command-line overrides, a live
/// progress display, per-step and per-epoch metrics (<c>metrics.jsonl</c>), checkpoints and loss-curve charts in the
/// run folder. <c>--resume</c> continues an interrupted run exactly.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset folder (for synthetic: a folder written by 'fashionnet data synth').", Required = true };
        var format = DatasetOptions.Format("inshop", "category", "landmarks", "synthetic");
        var backbone = new Option<BackboneKind>("--backbone") { Description = "resnet18, resnet34, resnet50 or vgg16.", DefaultValueFactory = _ => BackboneKind.ResNet18 };
        var weights = new Option<BackboneInitialization?>("--weights") { Description = "imagenet (ResNet18 only, the default for it) or random." };
        var imageSize = new Option<int>("--image-size") { Description = "Network input size in pixels.", DefaultValueFactory = _ => 224 };
        var embedding = new Option<int>("--embedding") { Description = "Retrieval embedding size.", DefaultValueFactory = _ => 256 };
        var freezeTrunk = new Option<bool>("--freeze-trunk") { Description = "Keep the shared trunk (conv1..conv4) fixed." };
        var globalOnly = new Option<bool>("--global-only") { Description = "The ablation: embed with the global branch alone (no landmark pooling)." };
        var pooledMap = new Option<BackboneMap>("--pooled-map")
        {
            Description = "The map the local branch pools: trunk (conv4; stride 16 for ResNet) or stride8 (ResNet's layer2, VGG's conv4_3: 28 x 28 at 224 px).",
            DefaultValueFactory = _ => BackboneMap.Trunk,
        };
        var poolingWindow = new Option<int>("--pooling-window") { Description = "Landmark pooling window, odd, in cells of the pooled map.", DefaultValueFactory = _ => 3 };
        var poolingBins = new Option<int>("--pooling-bins") { Description = "Landmark pooling output bins per side.", DefaultValueFactory = _ => 1 };
        var normalizePooled = new Option<bool>("--normalize-pooled") { Description = "Batch-normalize the pooled landmark features before the local fc." };
        var config = new Option<FileInfo?>("--config") { Description = "Training configuration (JSON; see configs/)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder, e.g. runs/NAME.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint." };
        var stage1Data = new Option<string?>("--stage1-data")
        {
            Description = "Data stage 1 (landmarks) trains on instead of --data: a dataset folder, 'synthetic' to generate the built-in "
                + "landmark-labelled set into the run folder, or 'data+synthetic' for --data's training photos and that set together. "
                + "Stage 2 trains on --data.",
        };
        var stage1Format = DatasetOptions.Format("--stage1-format", required: false, "synthetic", "landmarks", "category", "inshop");
        var landmarkData = new Option<string?>("--landmark-data")
        {
            Description = "Landmark-labelled images for the stages whose config sets landmarkImagesPerBatch (that many are appended to each "
                + "batch; only their landmarks train): a dataset folder or 'synthetic' for the built-in set, generated into the run folder.",
        };
        var landmarkFormat = DatasetOptions.Format("--landmark-format", required: false, "synthetic", "landmarks", "category", "inshop");
        var categoriesFromPath = DatasetOptions.CategoriesFromPath();
        categoriesFromPath.Description += " Applies to --data and to an In-shop --stage1-data.";
        var landmarksFrom = new Option<DirectoryInfo?>("--landmarks-from")
        {
            Description = "An In-shop folder with landmarks for some of --data's photos (same relative paths, splits and items, e.g. "
                + "deepfashion-inshop-landmarks): its landmarks, clothes and variation types are attached to --data's samples (not its boxes).",
        };
        var validationItems = new Option<int>("--validation-items")
        {
            Description = "Hold out this many training items as the validation query/gallery that selects the best model; the dataset's "
                + "own query/gallery (the test split) is then not touched during training.",
        };
        var workers = new Option<int>("--workers") { Description = "Image decoding workers.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = DeviceOption.Create();
        var skipBadImages = new Option<bool>("--skip-bad-images")
        {
            Description = "Skip training images that cannot be read (each is reported, with a count per epoch) instead of stopping.",
        };
        var maxBadImages = new Option<double>("--max-bad-images")
        {
            Description = "With --skip-bad-images: stop once more than this share of an epoch's images is unreadable.",
            DefaultValueFactory = _ => 0.01,
        };
        maxBadImages.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (>= 0 and <= 1)) result.AddError("--max-bad-images must be a share between 0 and 1.");
        });
        var overrides = new TrainingOverrides();

        var command = new Command("train", "Train FashionNet in two stages (landmarks first, then all losses) and keep the best model.")
        {
            data, format, backbone, weights, imageSize, embedding, freezeTrunk, globalOnly, pooledMap, poolingWindow, poolingBins, normalizePooled, config, output, resume, workers,
            stage1Data, stage1Format, landmarkData, landmarkFormat, validationItems, skipBadImages, maxBadImages, categoriesFromPath, landmarksFrom, device,
        };
        validationItems.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0) result.AddError("--validation-items must not be negative.");
        });
        overrides.AddTo(command);
        command.SetAction(parse =>
        {
            var onDevice = DeviceOption.Get(parse, device);
            var kind = parse.GetValue(backbone);
            var recipe = new ModelRecipe
            {
                Backbone = kind,
                Initialization = parse.GetValue(weights) ?? (ModelRecipe.HasImageNetWeights(kind) ? BackboneInitialization.ImageNet : BackboneInitialization.Random),
                ImageSize = parse.GetValue(imageSize),
                EmbeddingSize = parse.GetValue(embedding),
                FreezeTrunk = parse.GetValue(freezeTrunk),
                LocalBranch = !parse.GetValue(globalOnly),
                PooledMap = parse.GetValue(pooledMap),
                PoolingWindow = parse.GetValue(poolingWindow),
                PoolingBins = parse.GetValue(poolingBins),
                NormalizePooledFeatures = parse.GetValue(normalizePooled),
            };
            var options = overrides.Apply(parse, parse.GetValue(config) is { } file ? TrainingOptions.Load(file.FullName) : new TrainingOptions());
            string runDirectory = parse.GetValue(output)!.FullName;
            bool pathCategories = parse.GetValue(categoriesFromPath);
            var dataset = DatasetOptions.Read(parse.GetValue(data)!.FullName, parse.GetValue(format)!, pathCategories);
            // Before holding items out: the landmark set's splits are the dataset's own, which holding out changes.
            if (parse.GetValue(landmarksFrom) is { } landmarkFolder) dataset = dataset.WithLandmarksFrom(DatasetOptions.Read(landmarkFolder.FullName, "inshop"));
            if (parse.GetValue(validationItems) is > 0 and var heldOut) dataset = dataset.WithHeldOutItems(heldOut, options.Seed);
            // One generated synthetic set serves both options.
            var synthetic = new Lazy<FashionDataset>(() => SyntheticSet(runDirectory, recipe, options));
            FashionDataset ReadFolder(string folder, Option<string> folderFormat, string dataOption) => parse.GetValue(folderFormat) switch
            {
                null => throw new ArgumentException($"{folderFormat.Name} is required with a {dataOption} folder."),
                var name => DatasetOptions.Read(Path.GetFullPath(folder), name, pathCategories && name == "inshop"),
            };
            var stage1 = parse.GetValue(stage1Data) switch
            {
                null => null,
                "synthetic" => synthetic.Value,
                "data+synthetic" => FashionDataset.Concat(dataset, synthetic.Value),
                var folder => ReadFolder(folder, stage1Format, stage1Data.Name),
            };
            var landmarks = parse.GetValue(landmarkData) switch
            {
                null => null,
                "synthetic" => synthetic.Value,
                var folder => ReadFolder(folder, landmarkFormat, landmarkData.Name),
            };
            // The library's refusal names its own option; here the user needs the command line's.
            if (landmarks is null && new[] { 1, 2 }.FirstOrDefault(s => options.StageOptions(s).LandmarkImagesPerBatch > 0) is var asking and > 0)
            {
                throw new ArgumentException(
                    $"stage{asking}.landmarkImagesPerBatch is {options.StageOptions(asking).LandmarkImagesPerBatch}: give the landmark images with {landmarkData.Name} (synthetic or a folder).");
            }
            var dataOptions = new TrainingDataOptions
            {
                Workers = parse.GetValue(workers),
                Device = onDevice,
                Stage1Dataset = stage1,
                LandmarkDataset = landmarks,
                SkipBadImages = parse.GetValue(skipBadImages),
                MaxBadImageFraction = parse.GetValue(maxBadImages),
            };
            return Run(dataset, recipe, options, dataOptions, runDirectory, parse.GetValue(resume));
        });
        return command;
    }

    /// <summary>Items of the generated synthetic set (for --stage1-data and --landmark-data): 1,200 images, 90% of the items in its train split.</summary>
    private const int SyntheticSetItems = 300;

    private static FashionDataset SyntheticSet(string runDirectory, ModelRecipe recipe, TrainingOptions options) =>
        DatasetOptions.Synthesize(Path.Combine(runDirectory, "synthetic"), SyntheticSetItems, recipe.ImageSize, options.Seed, trainItemFraction: 0.9);

    private static int Run(FashionDataset dataset, ModelRecipe recipe, TrainingOptions options, TrainingDataOptions data, string runDirectory, bool resume)
    {
        using var training = FashionNetTraining.Create(dataset, recipe, options, data);
        AnsiConsole.MarkupLineInterpolated(
            $"Training [bold]{recipe.Backbone}[/] ({recipe.Initialization}) at {recipe.ImageSize} px on {dataset.Samples.Count:N0} images of {dataset.Root}; run folder [blue]{runDirectory}[/]");
        AnsiConsole.MarkupLineInterpolated(
            $"  train {dataset.IndicesOf(EvaluationSplit.Train).Count:N0} images, validation {dataset.IndicesOf(EvaluationSplit.Query).Count:N0} queries / {dataset.IndicesOf(EvaluationSplit.Gallery).Count:N0} gallery");
        if (data.Stage1Dataset is { } stage1)
            AnsiConsole.MarkupLineInterpolated($"  stage 1 trains on {stage1.IndicesOf(EvaluationSplit.Train).Count:N0} images of {stage1.Root}");
        if (training.LandmarkImages is { } landmarks)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"  landmark images per batch: stage 1 {options.Stage1.LandmarkImagesPerBatch}, stage 2 {options.Stage2.LandmarkImagesPerBatch}, from {landmarks.IndicesOf(EvaluationSplit.Train).Count:N0} images of {landmarks.Root}");
        }

        using var cancel = CliCancellation.OnCtrlC();
        var summary = TrainingConsole.Run(training, runDirectory, resume, cancel.Token);

        var table = new Table().Title("result").AddColumn("what").AddColumn("value");
        table.AddRow("best checkpoint", Markup.Escape(summary.BestCheckpoint));
        foreach (var (name, value) in summary.BestMetrics) table.AddRow(Markup.Escape(name), value.ToString("0.0000"));
        table.AddRow("steps / wall time", $"{summary.Steps:N0} / {summary.Elapsed:hh\\:mm\\:ss}");
        table.AddRow("metrics, charts", Markup.Escape(Path.Combine(runDirectory, "metrics.jsonl")) + ", loss_curves.png, validation.png");
        AnsiConsole.Write(table);
        return 0;
    }
}
