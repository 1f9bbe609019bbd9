using System.Diagnostics;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model;

namespace FashionNet.Peers;

/// <summary>
/// <c>recall</c>: the In-shop retrieval protocol on the sample's test split (query against gallery, hit rate at k) with
/// an embedder in the given memory formats (default: the default one and <see cref="TensorMemoryFormat.ChannelsLast"/>,
/// one after the other) and, with both, the R@1 difference and how many queries' first-hit ranks differ: the check that
/// the faster layout keeps retrieval quality (R@1 within 0.005). With <c>--runtimes torch,onnx</c> the same network also
/// runs through ONNX Runtime (<see cref="OnnxFashionNetEmbedder"/> or <see cref="OnnxBaselineEmbedder"/>) and the
/// comparison is LibTorch (in the first format, the default one unless <c>--formats</c> says otherwise) against ONNX
/// Runtime: the check that the runtimes agree. <c>onnx-int8</c> instead of <c>onnx</c> runs a checkpoint's network with
/// its convolutions in int8 (<see cref="PeerData.Int8Embedder"/>, calibrated on training photos): the check that int8
/// keeps retrieval quality. The ImageNet baseline by default; a FashionNet with <c>--checkpoint</c>.
/// </summary>
internal static class RecallCommand
{
    public const string Usage = "--out FILE [--checkpoint FILE] [--data DIR] [--batch 32] [--formats contiguous,channels-last] [--runtimes torch,onnx|onnx-int8]";

    public static int Run(PeerArguments args)
    {
        string output = args.Required("out");
        string? checkpoint = args.Optional("checkpoint") is null ? null : args.File("checkpoint");
        string data = args.Directory("data", PeerData.InShopSample);
        int batchSize = args.Int("batch", 32);
        var runtimes = (args.Optional("runtimes") ?? "torch").Split(',').Select(r => r.Trim()).Distinct().ToArray();
        if (runtimes.FirstOrDefault(r => r is not ("torch" or "onnx" or "onnx-int8")) is { } unknown)
            throw new ArgumentException($"--runtimes: unknown runtime '{unknown}' (torch, onnx, onnx-int8).");
        if (runtimes.Contains("onnx-int8") && checkpoint is null) throw new ArgumentException("--runtimes onnx-int8 quantizes a FashionNet: give --checkpoint.");
        // The ONNX Runtime run compared with LibTorch: the first one listed.
        string? otherRuntime = runtimes.FirstOrDefault(r => r != "torch");
        bool comparesRuntimes = runtimes.Contains("torch") && otherRuntime is not null;
        // Comparing runtimes, LibTorch runs in the default format only unless --formats asks for more.
        var formats = (args.Optional("formats") ?? (comparesRuntimes ? "contiguous" : "contiguous,channels-last")).Split(',').Select(ParseFormat).Distinct().ToArray();
        args.RejectUnread();

        var dataset = PeerData.ReadInShop(data);
        // Each variant: a name and how to load its embedder; LibTorch in each memory format, ONNX Runtime once (it picks its own layouts).
        var variants = new List<(string Name, Func<IImageEmbedder> Load)>();
        foreach (string runtime in runtimes)
        {
            var onnx = PeerEnvironment.OnnxRuntimeLikeLibTorch();
            if (runtime == "onnx")
            {
                variants.Add(("onnx", () => checkpoint is null ? OnnxBaselineEmbedder.Load(options: onnx) : OnnxFashionNetEmbedder.FromCheckpoint(checkpoint, onnx)));
                continue;
            }
            if (runtime == "onnx-int8")
            {
                variants.Add(("onnx-int8", () =>
                {
                    using var source = FashionNetEmbedder.FromCheckpoint(checkpoint!);
                    return PeerData.Int8Embedder(source, dataset, onnx);
                }));
                continue;
            }
            foreach (var format in formats)
            {
                var options = new InferenceOptions { MemoryFormat = format };
                variants.Add((format.ToString(), () => checkpoint is null ? ImageNetBaselineEmbedder.Load(options: options) : FashionNetEmbedder.FromCheckpoint(checkpoint, options)));
            }
        }

        var evaluation = new DatasetEvaluationOptions { Embedding = new EmbeddingOptions { BatchSize = batchSize } };
        var results = new List<(string Name, RetrievalEvaluationResult Result)>();
        var seconds = new Dictionary<string, double>();
        foreach (var (name, load) in variants)
        {
            using var embedder = load();
            var clock = Stopwatch.StartNew();
            using var result = DatasetEvaluation.Evaluate(embedder, dataset, evaluation);
            seconds[name] = clock.Elapsed.TotalSeconds;
            var retrieval = result.Report.Retrieval ?? throw new InvalidOperationException("The In-shop protocol gave no retrieval result.");
            results.Add((name, retrieval));
            Console.WriteLine($"recall ({name}, {embedder.Fingerprint}): " + string.Join(", ", retrieval.HitRate.Select(r => $"R@{r.K} {r.Rate:F4}")) +
                $" ({seconds[name]:F0} s)");
        }

        int? changedRanks = null;
        double? r1Difference = null;
        // What is compared: LibTorch in the first format against ONNX Runtime when both runtimes ran, else the first two formats.
        (string Name, RetrievalEvaluationResult Result)[] compared = comparesRuntimes
            ? [results.First(r => r.Name == formats[0].ToString()), results.First(r => r.Name == otherRuntime)]
            : [.. results.Take(2)];
        if (compared.Length == 2)
        {
            var (nameA, a) = compared[0];
            var (nameB, b) = compared[1];
            changedRanks = a.FirstHitRanks.Zip(b.FirstHitRanks).Count(pair => pair.First != pair.Second);
            r1Difference = b.HitRate[0].Rate - a.HitRate[0].Rate;
            Console.WriteLine($"recall: R@1 {a.HitRate[0].Rate:F4} ({nameA}) vs {b.HitRate[0].Rate:F4} ({nameB}), difference {r1Difference:+0.0000;-0.0000;0}; " +
                $"{changedRanks} of {a.QueryCount} queries' first-hit ranks differ");
        }
        var any = results[0].Result;
        PeerFiles.WriteJson(output, new
        {
            Embedder = checkpoint ?? ImageNetBaselineEmbedder.Name,
            Queries = any.QueryCount,
            Gallery = any.GalleryCount,
            HitRate = results.ToDictionary(r => r.Name, r => r.Result.HitRate.ToDictionary(h => $"R@{h.K}", h => h.Rate)),
            Seconds = seconds,
            Compared = compared.Length == 2 ? compared.Select(c => c.Name).ToArray() : null,
            QueriesWithChangedFirstHitRank = changedRanks,
            R1Difference = r1Difference,
            Environment = PeerEnvironment.Describe(),
        });
        return r1Difference is { } difference && Math.Abs(difference) > 0.005 ? 2 : 0;
    }

    private static TensorMemoryFormat ParseFormat(string name) => name.Trim() switch
    {
        "contiguous" => TensorMemoryFormat.Contiguous,
        "channels-last" => TensorMemoryFormat.ChannelsLast,
        _ => throw new ArgumentException($"--formats: unknown memory format '{name}' (contiguous, channels-last)."),
    };
}
