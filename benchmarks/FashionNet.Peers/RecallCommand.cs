using System.Diagnostics;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Model;

namespace FashionNet.Peers;

/// <summary>
/// <c>recall</c>: the In-shop retrieval protocol on the sample's test split (query against gallery, hit rate at k) with
/// an embedder in the default memory format and in <see cref="TensorMemoryFormat.ChannelsLast"/>, one after the other,
/// and how many queries' first-hit ranks differ between the two: the check that the faster layout keeps retrieval
/// quality (R@1 within 0.005). The ImageNet baseline by default; a FashionNet with <c>--checkpoint</c>.
/// </summary>
internal static class RecallCommand
{
    public const string Usage = "--out FILE [--checkpoint FILE] [--data DIR] [--batch 32]";

    public static int Run(PeerArguments args)
    {
        string output = args.Required("out");
        string? checkpoint = args.Optional("checkpoint") is null ? null : args.File("checkpoint");
        string data = args.Directory("data", PeerData.InShopSample);
        int batchSize = args.Int("batch", 32);
        args.RejectUnread();

        var dataset = PeerData.ReadInShop(data);
        var evaluation = new DatasetEvaluationOptions { Embedding = new EmbeddingOptions { BatchSize = batchSize } };
        var results = new Dictionary<string, RetrievalEvaluationResult>();
        var seconds = new Dictionary<string, double>();
        foreach (var format in new[] { TensorMemoryFormat.Contiguous, TensorMemoryFormat.ChannelsLast })
        {
            var options = new InferenceOptions { MemoryFormat = format };
            using IImageEmbedder embedder = checkpoint is null ? ImageNetBaselineEmbedder.Load(options: options) : FashionNetEmbedder.FromCheckpoint(checkpoint, options);
            var clock = Stopwatch.StartNew();
            using var result = DatasetEvaluation.Evaluate(embedder, dataset, evaluation);
            seconds[format.ToString()] = clock.Elapsed.TotalSeconds;
            results[format.ToString()] = result.Report.Retrieval ?? throw new InvalidOperationException("The In-shop protocol gave no retrieval result.");
            Console.Error.WriteLine($"recall ({format}): " + string.Join(", ", results[format.ToString()].HitRate.Select(r => $"R@{r.K} {r.Rate:F4}")));
        }

        var (a, b) = (results[nameof(TensorMemoryFormat.Contiguous)], results[nameof(TensorMemoryFormat.ChannelsLast)]);
        int changedRanks = a.FirstHitRanks.Zip(b.FirstHitRanks).Count(pair => pair.First != pair.Second);
        double r1Difference = b.HitRate[0].Rate - a.HitRate[0].Rate;
        PeerFiles.WriteJson(output, new
        {
            Embedder = checkpoint ?? ImageNetBaselineEmbedder.Name,
            Queries = a.QueryCount,
            Gallery = a.GalleryCount,
            HitRate = results.ToDictionary(r => r.Key, r => r.Value.HitRate.ToDictionary(h => $"R@{h.K}", h => h.Rate)),
            Seconds = seconds,
            QueriesWithChangedFirstHitRank = changedRanks,
            R1Difference = r1Difference,
            Environment = PeerEnvironment.Describe(),
        });
        Console.WriteLine($"recall: R@1 {a.HitRate[0].Rate:F4} (contiguous) vs {b.HitRate[0].Rate:F4} (channels-last), difference {r1Difference:+0.0000;-0.0000;0}; " +
            $"{changedRanks} of {a.QueryCount} queries' first-hit ranks differ");
        return Math.Abs(r1Difference) <= 0.005 ? 0 : 2;
    }
}
