namespace FashionNet.Tests.Cli;

/// <summary>
/// A tiny synthetic set written by <c>fashionnet data synth</c> (8 items x 4 views at 48 px), and, when a test first
/// asks, a run trained on it by <c>fashionnet train</c> (one epoch) and an index built by <c>fashionnet index</c>.
/// </summary>
public sealed class CliFixture : IDisposable
{
    private readonly Lazy<CommandResult> _training;
    private readonly Lazy<CommandResult> _indexing;

    public CliFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fashionnet-cli-").FullName;
        Synthesis = FashionNetCommand.Run(Directory, "data", "synth", "--out", Data, "--items", "8", "--views", "4", "--size", "48", "--seed", "3");
        _training = new(() => FashionNetCommand.Run(Directory, TrainArguments(Data, RunDirectory, stage2Epochs: 0)));
        _indexing = new(() => FashionNetCommand.Run(Directory,
            "index", "--checkpoint", BestCheckpoint, "--data", Data, "--format", "synthetic", "--out", IndexFile, "--batch", "8"));
    }

    public string Directory { get; }

    /// <summary>The synthetic set's folder (inshop/, category/, landmarks/).</summary>
    public string Data => Path.Combine(Directory, "data");

    public CommandResult Synthesis { get; }

    public string RunDirectory => Path.Combine(Directory, "run");

    /// <summary>The training run, started on first use.</summary>
    public CommandResult Training => _training.Value;

    /// <summary>The trained run's best checkpoint, of its only (stage-1) epoch (training first).</summary>
    public string BestCheckpoint
    {
        get
        {
            Assert.True(Training.ExitCode == 0, $"the fixture's training failed: {Training}");
            return Path.Combine(RunDirectory, "best-stage1.ckpt");
        }
    }

    public string IndexFile => Path.Combine(Directory, "gallery.fnidx");

    /// <summary>The gallery index of the synthetic set, built with the best checkpoint on first use.</summary>
    public CommandResult Indexing => _indexing.Value;

    /// <summary>
    /// <c>train</c> on a synthetic folder at its smallest: random ResNet18 weights, 32 px, 2 items x 4 views per batch
    /// (two batches an epoch, every training image in each), one stage-1 epoch, SGD (whose state, saved in every
    /// <c>last.ckpt</c>, is half of AdamW's).
    /// </summary>
    public static string[] TrainArguments(string data, string runDirectory, int stage2Epochs, params string[] more) =>
    [
        "train", "--data", data, "--format", "synthetic", "--out", runDirectory, "--weights", "random", "--image-size", "32",
        "--embedding", "16", "--items-per-batch", "2", "--images-per-item", "4", "--optimizer", "sgd", "--workers", "1",
        "--stage1-epochs", "1", "--stage2-epochs", stage2Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more,
    ];

    /// <summary>A copy of the synthetic set to damage.</summary>
    public string CopyOfData(string name)
    {
        string copy = Path.Combine(Directory, name);
        foreach (string file in System.IO.Directory.EnumerateFiles(Data, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(Data, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
