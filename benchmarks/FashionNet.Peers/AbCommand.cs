using System.Diagnostics;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model;
using FashionNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// <c>ab</c>: two variants of one workload timed in the same process, interleaved round by round (A B, then B A, ...),
/// so that whatever else loads the machine weighs on both alike. The workloads run on one fixed batch of real photos
/// (decoded once, outside the timing):
/// <list type="bullet">
/// <item><c>train-step</c>: the <c>train-step</c> comparison's step (In-shop photos with landmarks, 160 px);</item>
/// <item><c>embed-baseline</c>: <see cref="ImageNetBaselineEmbedder.Embed"/> at 224 px;</item>
/// <item><c>embed-fashionnet</c>: <see cref="FashionNetEmbedder.Embed"/> of a checkpoint (an untrained one without <c>--checkpoint</c>).</item>
/// </list>
/// Variants (A is always the library's default): <c>channels-last</c> (B: <see cref="TensorMemoryFormat.ChannelsLast"/>),
/// <c>threads</c> (B: one LibTorch intra-op thread instead of the cores), <c>bf16</c> (B: the baseline's weights and
/// input in bfloat16; <c>embed-baseline</c> only), <c>onnx</c> (B: the same network exported to ONNX and run by ONNX
/// Runtime, <see cref="OnnxFashionNetEmbedder"/> or <see cref="OnnxBaselineEmbedder"/>, with as many threads as
/// LibTorch; the embedding workloads only), <c>onnx-int8</c> (B: the same with the convolutions in int8, calibrated on
/// training photos, <see cref="PeerData.Int8Embedder"/>; <c>embed-fashionnet</c> only). With <c>--decoding</c> an embedding round embeds the first <c>--images</c>
/// test photos through <see cref="ImageEmbedding.EmbedSamples"/> (2 loader workers, batches of <c>--batch</c>), decoding
/// included, instead of the fixed decoded batch. Prints the ratio of the medians (above 1: B is faster) and, for the
/// embeddings, how far B's results are from A's.
/// </summary>
internal static class AbCommand
{
    public const string Usage = "--variant channels-last|threads|bf16|onnx|onnx-int8 --workload train-step|embed-baseline|embed-fashionnet [--rounds 10] [--batch 32] " +
        "[--decoding [--images N]] [--checkpoint FILE] [--out FILE]";

    private sealed record Variant(string Name, Func<Tensor?> Run, Action? Before = null);

    public static int Run(PeerArguments args)
    {
        string variant = args.Required("variant"), workload = args.Required("workload");
        int rounds = args.Int("rounds", 10), batchSize = args.Int("batch", 32, minimum: 2);
        string? checkpoint = args.Optional("checkpoint"), output = args.Optional("out");
        bool decoding = args.Flag("decoding");
        int images = args.Int("images", 4 * batchSize);
        if (decoding && workload == "train-step") throw new ArgumentException("--decoding is for the embedding workloads.");
        if (checkpoint is not null && !File.Exists(checkpoint)) throw new FileNotFoundException($"--checkpoint: '{Path.GetFullPath(checkpoint)}' does not exist.");
        args.RejectUnread();

        using var scope = NewDisposeScope();
        var disposables = new List<IDisposable>();
        try
        {
            var (a, b) = workload switch
            {
                "train-step" => TrainStep(variant, batchSize, disposables),
                "embed-baseline" => EmbedBaseline(variant, new EmbedWork(batchSize, decoding ? images : null), disposables),
                "embed-fashionnet" => EmbedFashionNet(variant, new EmbedWork(batchSize, decoding ? images : null), checkpoint, disposables),
                _ => throw new ArgumentException($"--workload: unknown workload '{workload}' (train-step, embed-baseline, embed-fashionnet)."),
            };
            return Measure(variant, workload, decoding ? images : batchSize, rounds, a, b, output);
        }
        finally
        {
            foreach (var disposable in Enumerable.Reverse(disposables)) disposable.Dispose();
        }
    }

    private static int Measure(string variant, string workload, int batchSize, int rounds, Variant a, Variant b, string? output)
    {
        // Warm-up (oneDNN builds its kernels on first use), and the results' agreement.
        float? maxDifference = null, minCosine = null;
        using (var resultA = Time(a).Result)
        using (var resultB = Time(b).Result)
        {
            if (resultA is not null && resultB is not null)
            {
                maxDifference = (resultA - resultB.to(resultA.dtype)).abs().max().item<float>();
                minCosine = nn.functional.cosine_similarity(resultA, resultB.to(resultA.dtype)).min().item<float>();
            }
        }

        var seconds = new Dictionary<string, List<double>> { [a.Name] = [], [b.Name] = [] };
        var paired = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? new[] { a, b } : [b, a];
            var times = new Dictionary<string, double>();
            foreach (var v in order)
            {
                var (time, embeddings) = Time(v);
                embeddings?.Dispose();
                times[v.Name] = time;
                seconds[v.Name].Add(time);
            }
            paired.Add(times[a.Name] / times[b.Name]);
            Console.Error.WriteLine($"round {round + 1}/{rounds}: {a.Name} {times[a.Name]:F3} s, {b.Name} {times[b.Name]:F3} s");
        }
        a.Before?.Invoke();

        double medianA = PeerStatistics.Median(seconds[a.Name]), medianB = PeerStatistics.Median(seconds[b.Name]);
        double ratio = medianA / medianB;
        var summary = new
        {
            Variant = variant,
            Workload = workload,
            Batch = batchSize,
            Rounds = rounds,
            A = new { a.Name, MedianSeconds = medianA, ImagesPerSecond = batchSize / medianA, Seconds = seconds[a.Name] },
            B = new { b.Name, MedianSeconds = medianB, ImagesPerSecond = batchSize / medianB, Seconds = seconds[b.Name] },
            RatioOfMedians = ratio,
            MedianPairedRatio = PeerStatistics.Median(paired),
            MaxAbsDifference = maxDifference,
            MinCosine = minCosine,
            Environment = PeerEnvironment.Describe(),
        };
        if (output is not null) PeerFiles.WriteJson(output, summary);
        string agreement = maxDifference is null ? "" : $"; B's results vs A's: max abs difference {maxDifference:E2}, min cosine {minCosine:F6}";
        Console.WriteLine($"ab {variant} {workload}: {b.Name} / {a.Name} speed {ratio:F3} (medians {medianB:F3} s vs {medianA:F3} s per round of {batchSize} images, " +
            $"{batchSize / medianB:F2} vs {batchSize / medianA:F2} images/s, " +
            $"median of paired ratios {summary.MedianPairedRatio:F3}, {rounds} interleaved rounds, load average {PeerEnvironment.LoadAverage()}){agreement}");
        return 0;
    }

    private static (double Seconds, Tensor? Result) Time(Variant variant)
    {
        variant.Before?.Invoke();
        var clock = Stopwatch.StartNew();
        var result = variant.Run();
        return (clock.Elapsed.TotalSeconds, result);
    }

    /// <summary>A with the library's defaults; B with the variant. Threads switch the process-wide setting before each run.</summary>
    private static (Variant A, Variant B) Pair(string variant, Func<Tensor?> defaultRun, Func<Tensor?> variantRun)
    {
        int cores = torch.get_num_threads();
        return variant switch
        {
            "channels-last" => (new Variant("contiguous", defaultRun), new Variant("channels-last", variantRun)),
            "bf16" => (new Variant("float32", defaultRun), new Variant("bfloat16", variantRun)),
            "threads" => (new Variant($"{cores} threads", defaultRun, () => torch.set_num_threads(cores)),
                          new Variant("1 thread", defaultRun, () => torch.set_num_threads(1))),
            "onnx" => (new Variant("LibTorch", defaultRun), new Variant("ONNX Runtime", variantRun)),
            "onnx-int8" => (new Variant("LibTorch", defaultRun), new Variant("ONNX Runtime int8", variantRun)),
            _ => throw new ArgumentException($"--variant: unknown variant '{variant}' (channels-last, threads, bf16, onnx, onnx-int8)."),
        };
    }

    private static (Variant, Variant) TrainStep(string variant, int batchSize, List<IDisposable> disposables)
    {
        if (variant is "bf16" or "onnx" or "onnx-int8") throw new ArgumentException($"--variant {variant} is an inference variant: use an embedding workload.");
        var options = TrainingOptions.Load(PeerData.Config) with { ItemsPerBatch = batchSize / 4, ImagesPerItem = 4 };
        var dataset = PeerData.ReadInShop(PeerData.InShopLandmarks);
        var recipe = new ModelRecipe { ImageSize = 160 }.For(dataset);
        manual_seed(options.Seed);
        var (modelA, normalizer) = recipe.Build();
        var batch = PeerData.FirstTrainingBatch(dataset, options, recipe.ImageSize, normalizer);
        disposables.Add(batch);
        var stepA = new TrainStepWorkload(modelA, batch, options, batch.Images);
        disposables.Add(stepA);
        if (variant == "threads") return Pair(variant, () => { stepA.Step(); return null; }, () => null);

        // B trains a copy from the same weights, in channels-last.
        var modelB = recipe.CreateArchitecture();
        modelB.load_state_dict(modelA.state_dict());
        modelB.ApplyMemoryFormat(TensorMemoryFormat.ChannelsLast);
        var imagesB = batch.Images.ToMemoryFormat(TensorMemoryFormat.ChannelsLast);
        var stepB = new TrainStepWorkload(modelB, batch, options, imagesB);
        disposables.Add(stepB);
        return Pair(variant, () => { stepA.Step(); return null; }, () => { stepB.Step(); return null; });
    }

    /// <summary>What one embedding round does: embed a fixed decoded batch, or decode and embed <c>Images</c> test photos.</summary>
    private sealed record EmbedWork(int BatchSize, int? Images)
    {
        private static readonly Lazy<(FashionNet.Data.Annotations.FashionDataset Dataset, int[] Photos)> TestSplit = new(() =>
        {
            var dataset = PeerData.ReadInShop(PeerData.InShopSample);
            return (dataset, DatasetEvaluation.ImagesOf(dataset, EvaluationProtocol.InShopRetrieval).All.ToArray());
        });

        /// <summary>The In-shop sample the rounds embed photos of.</summary>
        public FashionNet.Data.Annotations.FashionDataset Dataset => TestSplit.Value.Dataset;

        /// <summary>The run of <paramref name="embedder"/>: on the fixed batch, or through the loader.</summary>
        public Func<Tensor?> RunOf(IImageEmbedder embedder)
        {
            var (dataset, photos) = TestSplit.Value;
            if (Images is { } count)
            {
                var indices = photos.Take(count).ToArray();
                var options = new EmbeddingOptions { BatchSize = BatchSize, Loader = new DataLoaderOptions { Workers = 2 } };
                return () => ImageEmbedding.EmbedSamples(embedder, dataset, indices, options);
            }
            using var batch = FashionDataLoader.ForEvaluation(dataset, photos.Take(BatchSize).ToArray(), embedder.ImageSize, embedder.Normalizer, BatchSize).ReadEpoch(0).Single();
            var images = batch.Images.clone();
            return () => embedder.Embed(images);
        }
    }

    private static (Variant, Variant) EmbedBaseline(string variant, EmbedWork work, List<IDisposable> disposables)
    {
        var embedderA = ImageNetBaselineEmbedder.Load();
        disposables.Add(embedderA);
        var runA = work.RunOf(embedderA);
        switch (variant)
        {
            case "channels-last":
                var embedderB = ImageNetBaselineEmbedder.Load(options: new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast });
                disposables.Add(embedderB);
                return Pair(variant, runA, work.RunOf(embedderB));
            case "onnx":
                var onnx = OnnxBaselineEmbedder.Load(options: PeerEnvironment.OnnxRuntimeLikeLibTorch());
                disposables.Add(onnx);
                return Pair(variant, runA, work.RunOf(onnx));
            case "onnx-int8":
                throw new ArgumentException("--variant onnx-int8 quantizes a FashionNet checkpoint: use --workload embed-fashionnet.");
            case "bf16":
                if (work.Images is not null) throw new ArgumentException("--variant bf16 runs on the fixed batch: leave out --decoding.");
                // The baseline's network by hand in bfloat16: ResNet18 to the pooled features, L2-normalized in float32.
                var backbone = Model.Pretrained.ImageNetWeights.LoadResNet18();
                disposables.Add(backbone);
                backbone.eval();
                backbone.to(ScalarType.BFloat16);
                var images = TestImages(embedderA, work.BatchSize);
                return Pair(variant, runA, () =>
                {
                    using var noGrad = no_grad();
                    using var features = backbone.forward(images.to(ScalarType.BFloat16));
                    return nn.functional.normalize(features.to(ScalarType.Float32), p: 2, dim: 1);
                });
            default:
                return Pair(variant, runA, runA);
        }
    }

    /// <summary>The first <paramref name="count"/> In-shop test photos as an embedder's loader prepares them.</summary>
    private static Tensor TestImages(IImageEmbedder embedder, int count)
    {
        var dataset = PeerData.ReadInShop(PeerData.InShopSample);
        var indices = DatasetEvaluation.ImagesOf(dataset, EvaluationProtocol.InShopRetrieval).All.Take(count).ToArray();
        using var batch = FashionDataLoader.ForEvaluation(dataset, indices, embedder.ImageSize, embedder.Normalizer, count).ReadEpoch(0).Single();
        return batch.Images.clone();
    }

    private static (Variant, Variant) EmbedFashionNet(string variant, EmbedWork work, string? checkpoint, List<IDisposable> disposables)
    {
        if (variant == "bf16") throw new ArgumentException("--variant bf16 runs on the baseline's ResNet18 (the network that dominates both embedders): use --workload embed-baseline.");
        if (checkpoint is null)
        {
            checkpoint = Path.Combine(Path.GetTempPath(), $"fashionnet-ab-{Environment.ProcessId}.ckpt");
            MakeCheckpointCommand.Run(PeerArguments.Parse(["--out", checkpoint]));
            disposables.Add(new DeleteOnDispose(checkpoint));
        }
        var embedderA = FashionNetEmbedder.FromCheckpoint(checkpoint);
        disposables.Add(embedderA);
        var runA = work.RunOf(embedderA);
        IImageEmbedder? embedderB = variant switch
        {
            "channels-last" => FashionNetEmbedder.FromCheckpoint(checkpoint, new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast }),
            "onnx" => OnnxFashionNetEmbedder.FromEmbedder(embedderA, PeerEnvironment.OnnxRuntimeLikeLibTorch()),
            "onnx-int8" => PeerData.Int8Embedder(embedderA, work.Dataset, PeerEnvironment.OnnxRuntimeLikeLibTorch()),
            _ => null,
        };
        if (embedderB is null) return Pair(variant, runA, runA);
        disposables.Add(embedderB);
        return Pair(variant, runA, work.RunOf(embedderB));
    }

    private sealed class DeleteOnDispose(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }
}
