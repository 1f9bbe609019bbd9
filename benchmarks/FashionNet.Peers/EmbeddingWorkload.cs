using System.Globalization;
using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;

namespace FashionNet.Peers;

/// <summary>
/// What the embedding comparisons time: the In-shop sample's test photos (query, then gallery), fed in batches with
/// background decoding, and how close two sides' embeddings must be before either is timed.
/// </summary>
/// <param name="Dataset">The photos' dataset, categories from the path.</param>
/// <param name="Images">The dataset indices timed, in order.</param>
/// <param name="Options">Batch size and decoding workers.</param>
/// <param name="Tolerance">The largest absolute embedding difference accepted between two sides on the check batch.</param>
internal sealed record EmbeddingWorkload(FashionDataset Dataset, int[] Images, EmbeddingOptions Options, double Tolerance)
{
    /// <summary>The options <see cref="Read"/> takes, for a command's usage line.</summary>
    public const string Usage = "[--data DIR] [--limit N] [--batch 32] [--workers 2] [--tolerance 1e-4]";

    /// <summary>Images per batch.</summary>
    public int BatchSize => Options.BatchSize;

    /// <summary>Decoding workers.</summary>
    public int Workers => Options.Loader.Workers;

    /// <summary>The first batch: the images both sides must agree on before timing.</summary>
    public int[] CheckBatch => Images.Take(BatchSize).ToArray();

    /// <summary>
    /// Reads <see cref="Usage"/>'s options after the command has read its own, refuses any option neither read, then
    /// reads the data they name.
    /// </summary>
    public static EmbeddingWorkload Read(PeerArguments args)
    {
        string data = args.Directory("data", PeerData.InShopSample);
        int limit = args.Int("limit", int.MaxValue), batchSize = args.Int("batch", 32), workers = args.Int("workers", 2);
        double tolerance = double.Parse(args.Optional("tolerance") ?? "1e-4", CultureInfo.InvariantCulture);
        args.RejectUnread();
        var dataset = PeerData.ReadInShop(data);
        var images = DatasetEvaluation.ImagesOf(dataset, EvaluationProtocol.InShopRetrieval).All.Take(limit).ToArray();
        return new EmbeddingWorkload(dataset, images, new EmbeddingOptions { BatchSize = batchSize, Loader = new DataLoaderOptions { Workers = workers } }, tolerance);
    }
}
