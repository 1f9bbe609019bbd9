using FashionNet.Checkpoints;
using FashionNet.Data.Imaging;
using FashionNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Training;

/// <summary>Round trips and failures of the checkpoint file; serial, since they read torch's process-wide random generator.</summary>
[Collection(SerialCollection.Name)]
public sealed class CheckpointFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static nn.Module<Tensor, Tensor> SmallModel(int hidden = 4) =>
        nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 2));

    private static CheckpointMetadata Metadata(string fingerprint = "small-mlp") =>
        new(fingerprint, """{"lr":0.1}""", new TrainingProgress(Stage: 2, Epoch: 3, GlobalStep: 42, BestMetric: 0.75), DateTimeOffset.UnixEpoch);

    private static readonly ChannelNormalizer Normalizer = new([0.1f, 0.2f, 0.3f], [0.4f, 0.5f, 0.6f]);

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private static void Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor input)
    {
        optimizer.zero_grad();
        model.call(input).square().sum().backward();
        optimizer.step();
    }

    /// <summary>Trains 3 steps, saves, then reports the weights and random numbers an uninterrupted run sees next.</summary>
    private string SaveTrainedCheckpoint(out float[] weights, out float[] nextRandom, out float[] weightsAfterOneMoreStep)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var model = SmallModel();
        var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        for (int step = 0; step < 3; step++) Step(model, optimizer, randn(5, 3));
        string path = Path.Combine(_directory, "run.ckpt");
        CheckpointFile.Save(path, model, Normalizer, optimizer, Metadata());
        weights = Weights(model);
        nextRandom = rand(4).data<float>().ToArray();
        Step(model, optimizer, ones(5, 3));
        weightsAfterOneMoreStep = Weights(model);
        return path;
    }

    private string SaveTrainedCheckpoint() => SaveTrainedCheckpoint(out _, out _, out _);

    [Fact]
    public void ResumeRestoresWeightsOptimizerMomentumRandomStateAndMetadata()
    {
        string path = SaveTrainedCheckpoint(out float[] weights, out float[] nextRandom, out float[] weightsAfterOneMoreStep);
        using var scope = NewDisposeScope();
        manual_seed(99);
        var restored = SmallModel();
        var optimizer = optim.SGD(restored.parameters(), 0.1, momentum: 0.9);

        var metadata = CheckpointFile.Resume(path, restored, optimizer, expectedModelFingerprint: "small-mlp");

        Assert.Equal(weights, Weights(restored));
        Assert.Equal(nextRandom, rand(4).data<float>().ToArray());
        Assert.Equal(Metadata(), metadata);
        Assert.Equal(metadata, CheckpointFile.ReadMetadata(path));
        // The same step lands on the same weights only if the momentum buffers came back too.
        Step(restored, optimizer, ones(5, 3));
        Assert.Equal(weightsAfterOneMoreStep, Weights(restored));
    }

    [Fact]
    public void LoadingWeightsForInferenceRestoresTheWeightsAndNormalizerButLeavesTheRandomStateAlone()
    {
        string path = SaveTrainedCheckpoint(out float[] weights, out _, out _);
        using var scope = NewDisposeScope();
        var restored = SmallModel();
        manual_seed(99);
        float[] expectedRandom = rand(4).data<float>().ToArray();
        manual_seed(99);

        // Resuming would restore the generator saved at seed 1; loading weights must not touch it.
        var metadata = CheckpointFile.LoadWeights(path, restored, expectedModelFingerprint: "small-mlp");

        Assert.Equal(weights, Weights(restored));
        Assert.Equal(expectedRandom, rand(4).data<float>().ToArray());
        Assert.Equal(Metadata(), metadata);
        var normalizer = Assert.IsType<ChannelNormalizer>(CheckpointFile.ReadNormalizer(path));
        Assert.Equal(Normalizer.Mean, normalizer.Mean);
        Assert.Equal(Normalizer.Std, normalizer.Std);
    }

    [Fact]
    public void AMeanImageNormalizerRoundTripsExactly()
    {
        float[] mean = [.. Enumerable.Range(0, 3 * 4 * 5).Select(i => i * 1.25f - 7)];
        string path = Path.Combine(_directory, "mean.ckpt");
        using (var model = SmallModel()) CheckpointFile.Save(path, model, new MeanImageBgrNormalizer(mean, 4, 5), null, Metadata());

        var restored = Assert.IsType<MeanImageBgrNormalizer>(CheckpointFile.ReadNormalizer(path));
        Assert.Equal((4, 5), (restored.Height, restored.Width));
        Assert.Equal(mean, restored.MeanBgr.ToArray());
    }

    [Fact]
    public void AFileOfTheFirstFormatVersionIsRefusedNamingTheVersion()
    {
        string path = Path.Combine(_directory, "v1.ckpt");
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write("FNETCKPT"u8);
            writer.Write(1);
            writer.Write(3);
        }
        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.ReadMetadata(path));
        Assert.Contains("format version 1", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(30)]
    [InlineData(200)]
    [InlineData(-3)]
    public void TruncatedFileFailsWithAClearMessage(int keepBytes)
    {
        string path = SaveTrainedCheckpoint();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(keepBytes > 0 ? keepBytes : bytes.Length + keepBytes)]);

        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.LoadWeights(path, SmallModel()));
        Assert.Equal(path, error.FilePath);
        Assert.Matches("truncated|wrong magic", error.Message);
    }

    [Fact]
    public void FlippedByteInTheWeightsIsReportedAsACorruptSection()
    {
        string path = SaveTrainedCheckpoint();
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var model = SmallModel();
        float[] before = Weights(model);

        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.LoadWeights(path, model));

        Assert.Contains("checksum", error.Message);
        Assert.Equal(before, Weights(model));
    }

    [Fact]
    public void ForeignFileIsRejected()
    {
        string path = Path.Combine(_directory, "photo.jpg");
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.ReadMetadata(path));
        Assert.Contains("not a FashionNet checkpoint", error.Message);
    }

    [Fact]
    public void WeightsThatFitOnlyInPartLeaveTheModelUntouched()
    {
        string path = SaveTrainedCheckpoint();
        // The first layer fits the checkpoint, the last does not: nothing may be written before that is found.
        var model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3));
        float[] before = Weights(model);

        var error = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.LoadWeights(path, model));

        Assert.Contains("do not fit this model", error.Message);
        Assert.Equal(before, Weights(model));
    }

    [Fact]
    public void LoadingWritesIntoTheModelsOwnTensors()
    {
        string path = SaveTrainedCheckpoint(out float[] weights, out _, out _);
        using var scope = NewDisposeScope();
        var model = SmallModel();
        nint[] handles = [.. model.parameters().Select(p => p.Handle)];

        CheckpointFile.LoadWeights(path, model);

        // The same tensors now hold the saved values, so an optimizer made before the load keeps training them.
        // (TorchSharp's Module.load moves a CUDA module to the CPU and back, replacing its parameters: a CUDA training's
        // stage-2 optimizer was left holding disposed tensors. The GPU check, benchmarks/gpu, covers that device.)
        Assert.Equal(handles, model.parameters().Select(p => p.Handle));
        Assert.Equal(weights, Weights(model));
    }

    [Fact]
    public void CheckpointOfAnotherModelIsRejected()
    {
        string path = SaveTrainedCheckpoint();

        var fingerprint = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.LoadWeights(path, SmallModel(), expectedModelFingerprint: "resnet18"));
        Assert.Contains("different model", fingerprint.Message);

        var shape = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.LoadWeights(path, SmallModel(hidden: 7)));
        Assert.Contains("do not fit this model", shape.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(_directory, "absent.ckpt");
        var error = Assert.Throws<FileNotFoundException>(() => CheckpointFile.ReadMetadata(path));
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("model")]
    [InlineData("optimizer")]
    public void AWriteThatFailsPartWayLeavesThePreviousCheckpointIntactAndNoTemporaryFile(string failingSection)
    {
        string path = SaveTrainedCheckpoint();
        byte[] before = File.ReadAllBytes(path);
        using var scope = NewDisposeScope();
        var model = SmallModel(hidden: 6);
        var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        Step(model, optimizer, ones(5, 3));

        CheckpointFile.SectionWritten.Value = name =>
        {
            if (name == failingSection) throw new IOException("disk full");
        };
        try
        {
            var error = Assert.Throws<IOException>(() => CheckpointFile.Save(path, model, Normalizer, optimizer, Metadata("other")));
            Assert.Equal("disk full", error.Message);
        }
        finally
        {
            CheckpointFile.SectionWritten.Value = null;
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
        Assert.Equal("small-mlp", CheckpointFile.ReadMetadata(path).ModelFingerprint);
    }
}
