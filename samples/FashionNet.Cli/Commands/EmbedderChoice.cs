using System.CommandLine;
using FashionNet.Inference;

namespace FashionNet.Cli.Commands;

/// <summary>
/// The options that pick an embedding (<c>--checkpoint</c> or <c>--baseline</c>), what runs it (<c>--runtime</c>,
/// <c>--device</c>, <c>--calibration-images</c>) and how it is fed (<c>--batch</c>).
/// </summary>
internal sealed class EmbedderChoice
{
    private EmbedderChoice()
    {
        Checkpoint = new Option<FileInfo>("--checkpoint") { Description = "A FashionNet checkpoint (from fashionnet train)." };
        Baseline = new Option<string>("--baseline") { Description = $"An off-the-shelf embedding instead of a checkpoint: {ImageNetBaselineEmbedder.Name}." };
        Baseline.AcceptOnlyFromAmong(ImageNetBaselineEmbedder.Name);
        Batch = new Option<int>("--batch") { Description = "Images per batch.", DefaultValueFactory = _ => 32 };
        Device = DeviceOption.Create();
        Runtime = RuntimeOption.Create();
        Calibration = RuntimeOption.CreateCalibration();
    }

    public Option<FileInfo> Checkpoint { get; }

    public Option<string> Baseline { get; }

    public Option<int> Batch { get; }

    public Option<string> Device { get; }

    public Option<string> Runtime { get; }

    public Option<string?> Calibration { get; }

    /// <summary>The options, added to <paramref name="command"/>; <paramref name="required"/>: one of the two must be given.</summary>
    public static EmbedderChoice AddTo(Command command, bool required = true)
    {
        var choice = new EmbedderChoice();
        command.Options.Add(choice.Checkpoint);
        command.Options.Add(choice.Baseline);
        command.Options.Add(choice.Batch);
        command.Options.Add(choice.Device);
        command.Options.Add(choice.Runtime);
        command.Options.Add(choice.Calibration);
        command.Validators.Add(result =>
        {
            bool checkpoint = result.GetResult(choice.Checkpoint) is not null, baseline = result.GetResult(choice.Baseline) is not null;
            if (checkpoint && baseline) result.AddError("Give either --checkpoint or --baseline, not both.");
            else if (required && !checkpoint && !baseline) result.AddError("Give --checkpoint FILE or --baseline imagenet-resnet18.");
        });
        return choice;
    }

    /// <summary>Whether a checkpoint or baseline was given.</summary>
    public bool IsGiven(ParseResult parse) => parse.GetValue(Checkpoint) is not null || parse.GetValue(Baseline) is not null;

    /// <summary>Loads the chosen embedder with the chosen runtime, onto the chosen device.</summary>
    public IImageEmbedder Load(ParseResult parse)
    {
        var loader = Loader(parse);
        return parse.GetValue(Checkpoint) is { } checkpoint ? loader.LoadCheckpoint(checkpoint.FullName) : loader.LoadBaseline();
    }

    /// <summary>Loads embedders with the chosen runtime, onto the chosen device.</summary>
    public IEmbedderLoader Loader(ParseResult parse) => RuntimeOption.Loader(parse, Runtime, Device, Calibration);

    /// <summary>Whether ONNX Runtime was chosen.</summary>
    public bool IsOnnx(ParseResult parse) => RuntimeOption.IsOnnx(parse, Runtime);

    /// <summary>Batch size and loader settings from <c>--batch</c>.</summary>
    public EmbeddingOptions Options(ParseResult parse) => new() { BatchSize = parse.GetValue(Batch) };
}
