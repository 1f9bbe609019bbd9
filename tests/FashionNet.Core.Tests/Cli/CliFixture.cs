using FashionNet.Checkpoints;
using FashionNet.Training;

namespace FashionNet.Tests.Cli;

/// <summary>How the fixture's run was trained: interrupted by Ctrl+C after its first checkpoint, then resumed.</summary>
/// <param name="Interrupted">The first <c>train</c>, sent SIGINT once its stage-1 checkpoint appeared.</param>
/// <param name="ProgressLeft">The progress recorded in <c>last.ckpt</c> right after the interruption.</param>
/// <param name="FinishedBeforeResume">Whether <c>summary.json</c> (written when a run ends) existed before the resume.</param>
/// <param name="Resumed">The same <c>train</c> with <c>--resume</c>.</param>
public sealed record InterruptedTraining(CommandResult Interrupted, TrainingProgress ProgressLeft, bool FinishedBeforeResume, CommandResult Resumed);

/// <summary>
/// A tiny synthetic set written by <c>fashionnet data synth</c> (8 items x 4 views at 48 px), and, when a test first
/// asks, a run trained on it by <c>fashionnet train</c> (one epoch per stage; interrupted by SIGINT after stage 1, then
/// resumed: one training serves both the Ctrl+C test and the tests that need a checkpoint) and an index built by
/// <c>fashionnet index</c>.
/// </summary>
public sealed class CliFixture : IDisposable
{
    private readonly Lazy<InterruptedTraining> _training;
    private readonly Lazy<CommandResult> _indexing;

    public CliFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fashionnet-cli-").FullName;
        Synthesis = FashionNetCommand.Run(Directory, "data", "synth", "--out", Data, "--items", "8", "--views", "4", "--size", "48", "--seed", "3");
        _training = new(TrainInterruptedThenResumed);
        _indexing = new(() => FashionNetCommand.Run(Directory,
            "index", "--checkpoint", BestCheckpoint, "--data", Data, "--format", "synthetic", "--out", IndexFile, "--batch", "8"));
    }

    public string Directory { get; }

    /// <summary>The synthetic set's folder (inshop/, category/, landmarks/).</summary>
    public string Data => Path.Combine(Directory, "data");

    public CommandResult Synthesis { get; }

    public string RunDirectory => Path.Combine(Directory, "run");

    /// <summary>The training of the run, done on first use.</summary>
    public InterruptedTraining Training => _training.Value;

    /// <summary>The trained run's best checkpoint (training first).</summary>
    public string BestCheckpoint
    {
        get
        {
            Assert.True(Training.Resumed.ExitCode == 0, $"the fixture's training failed: {Training.Resumed}");
            return Path.Combine(RunDirectory, "best.ckpt");
        }
    }

    /// <summary>The stage-2 weight of <see cref="LossTermNames.GlobalTriplet"/> the fixture's training sets on the command line.</summary>
    public const double GlobalTripletWeight = 0.5;

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

    private InterruptedTraining TrainInterruptedThenResumed()
    {
        // Stage 2 only: the extra loss term and the detached auxiliary heads and local branch, so the tests can see the overrides reach that stage and no other.
        string[] arguments = TrainArguments(Data, RunDirectory, stage2Epochs: 1, "--loss-weight", $"stage2.{LossTermNames.GlobalTriplet}={GlobalTripletWeight}",
            "--detach-auxiliary-heads", "2", "--detach-local-branch", "2");
        string last = Path.Combine(RunDirectory, "last.ckpt");
        CommandResult interrupted;
        using (var training = FashionNetCommand.StartWithDefaultSigint(Directory, arguments))
        {
            // The first checkpoint (stage 1's only epoch) appears whole, by rename; stage 2 (loading the best stage-1 weights,
            // training, validating, saving) remains to interrupt.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(last) && !training.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(10);
            if (!File.Exists(last) || training.HasExited)
                throw new InvalidOperationException($"no running training with a first checkpoint to interrupt: {(training.HasExited ? training.WaitForExit() : "timed out")}");
            if (training.IgnoresSigint()) throw new InvalidOperationException("the CLI process ignores SIGINT: the fixture cannot send it Ctrl+C");
            training.Interrupt();
            interrupted = training.WaitForExit();
        }
        var progressLeft = CheckpointFile.ReadMetadata(last).Progress;
        bool finished = File.Exists(Path.Combine(RunDirectory, "summary.json"));
        return new InterruptedTraining(interrupted, progressLeft, finished, FashionNetCommand.Run(Directory, [.. arguments, "--resume"]));
    }
}
