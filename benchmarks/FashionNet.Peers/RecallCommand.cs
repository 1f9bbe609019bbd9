using System.Diagnostics;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Model;

namespace FashionNet.Peers;

/// <summary>
/// <c>recall</c>: the In-shop retrieval protocol on the sample's test split (query against gallery, hit rate at k) with
/// an embedder in the given memory formats (default: the default one and <see cref="TensorMemoryFormat.ChannelsLast"/>,
/// one after the other) and, with both, the R@1 difference and how many queries' first-hit ranks differ: the check that
/// the faster layout keeps retrieval quality (R@1 within 0.005). The ImageNet baseline by default; a FashionNet with
/// <c>--checkpoint</c>.
/// </summary>
internal static class RecallCommand
{
    public const string Usage = "--out FILE [--checkpoint FILE] [--data DIR] [--batch 32] [--formats contiguous,channels-last]";

    public static int Run(PeerArguments args)
    {
        string output = args.Required("out");
        string? checkpoint = args.Optional("checkpoint") is null ? null : args.File("checkpoint");
        string data = args.Directory("data", PeerData.InShopSample);
        int batchSize = args.Int("batch", 32);
        var formats = (args.Optional("formats") ?? "contiguous,channels-last").Split(',').Select(ParseFormat).Distinct().ToArray();
        args.RejectUnread();

        var dataset = PeerData.ReadInShop(data);
        var evaluation = new DatasetEvaluationOptions { Embedding = new EmbeddingOptions { BatchSize = batchSize } };
        var results = new Dictionary<TensorMemoryFormat, RetrievalEvaluationResult>();
        var seconds = new Dictionary<string, double>();
        foreach (var format in formats)
        {
            var options = new InferenceOptions { MemoryFormat = format };
            using IImageEmbedder embedder = checkpoint is null ? ImageNetBaselineEmbedder.Load(options: options) : FashionNetEmbedder.FromCheckpoint(checkpoint, options);
            var clock = Stopwatch.StartNew();
            using var result = DatasetEvaluation.Evaluate(embedder, dataset, evaluation);
            seconds[format.ToString()] = clock.Elapsed.TotalSeconds;
            results[format] = result.Report.Retrieval ?? throw new InvalidOperationException("The In-shop protocol gave no retrieval result.");
            Console.WriteLine($"recall ({format}): " + string.Join(", ", results[format].HitRate.Select(r => $"R@{r.K} {r.Rate:F4}")));
        }

        int? changedRanks = null;
        double? r1Difference = null;
        if (results.TryGetValue(TensorMemoryFormat.Contiguous, out var a) && results.TryGetValue(TensorMemoryFormat.ChannelsLast, out var b))
        {
            changedRanks = a.FirstHitRanks.Zip(b.FirstHitRanks).Count(pair => pair.First != pair.Second);
            r1Difference = b.HitRate[0].Rate - a.HitRate[0].Rate;
            Console.WriteLine($"recall: R@1 {a.HitRate[0].Rate:F4} (contiguous) vs {b.HitRate[0].Rate:F4} (channels-last), difference {r1Difference:+0.0000;-0.0000;0}; " +
                $"{changedRanks} of {a.QueryCount} queries' first-hit ranks differ");
        }
        var any = results.Values.First();
        PeerFiles.WriteJson(output, new
        {
            Embedder = checkpoint ?? ImageNetBaselineEmbedder.Name,
            Queries = any.QueryCount,
            Gallery = any.GalleryCount,
            HitRate = results.ToDictionary(r => r.Key.ToString(), r => r.Value.HitRate.ToDictionary(h => $"R@{h.K}", h => h.Rate)),
            Seconds = seconds,
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
