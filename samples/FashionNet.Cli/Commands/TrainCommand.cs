using System.CommandLine;
using FashionNet.Cli.Reporting;
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
        var backbone = new Option<BackboneKind>("--backbone") { Description = "resnet18 or vgg16.", DefaultValueFactory = _ => BackboneKind.ResNet18 };
        var weights = new Option<BackboneInitialization?>("--weights") { Description = "imagenet (ResNet18 only, the default for it) or random." };
        var imageSize = new Option<int>("--image-size") { Description = "Network input size in pixels.", DefaultValueFactory = _ => 224 };
        var embedding = new Option<int>("--embedding") { Description = "Retrieval embedding size.", DefaultValueFactory = _ => 256 };
        var freezeTrunk = new Option<bool>("--freeze-trunk") { Description = "Keep the shared trunk (conv1..conv4) fixed." };
        var globalOnly = new Option<bool>("--global-only") { Description = "The ablation: embed with the global branch alone (no landmark pooling)." };
        var config = new Option<FileInfo?>("--config") { Description = "Training configuration (JSON; see configs/)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder, e.g. runs/NAME.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint." };
        var workers = new Option<int>("--workers") { Description = "Image decoding workers.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var overrides = new TrainingOverrides();

        var command = new Command("train", "Train FashionNet in two stages (landmarks first, then all losses) and keep the best model.")
        {
            data, format, backbone, weights, imageSize, embedding, freezeTrunk, globalOnly, config, output, resume, workers,
        };
        overrides.AddTo(command);
        command.SetAction(parse =>
        {
            var kind = parse.GetValue(backbone);
            var recipe = new ModelRecipe
            {
                Backbone = kind,
                Initialization = parse.GetValue(weights) ?? (kind == BackboneKind.ResNet18 ? BackboneInitialization.ImageNet : BackboneInitialization.Random),
                ImageSize = parse.GetValue(imageSize),
                EmbeddingSize = parse.GetValue(embedding),
                FreezeTrunk = parse.GetValue(freezeTrunk),
                LocalBranch = !parse.GetValue(globalOnly),
            };
            var options = overrides.Apply(parse, parse.GetValue(config) is { } file ? TrainingOptions.Load(file.FullName) : new TrainingOptions());
            return Run(parse.GetValue(data)!.FullName, parse.GetValue(format)!, recipe, options, parse.GetValue(output)!.FullName,
                parse.GetValue(resume), parse.GetValue(workers));
        });
        return command;
    }

    private static int Run(string dataRoot, string format, ModelRecipe recipe, TrainingOptions options, string runDirectory, bool resume, int workers)
    {
        var dataset = DatasetOptions.Read(dataRoot, format);
        using var training = FashionNetTraining.Create(dataset, recipe, options, new TrainingDataOptions { Workers = workers });
        AnsiConsole.MarkupLineInterpolated(
            $"Training [bold]{recipe.Backbone}[/] ({recipe.Initialization}) at {recipe.ImageSize} px on {dataset.Samples.Count:N0} images of {dataset.Root}; run folder [blue]{runDirectory}[/]");

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
