using FashionNet.Data;
using FashionNet.Data.Annotations;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>
/// The DeepFashion protocols applied to a dataset: retrieval over embeddings of its samples (from any embedding, a
/// trained model's or a baseline's), and category, attribute and landmark measures over a model's
/// <see cref="DatasetPredictions"/>.
/// </summary>
public static class BenchmarkEvaluation
{
    /// <summary>
    /// In-shop retrieval: the embedded samples that are queries are searched against the embedded samples in the
    /// gallery; a query is a hit at k when one of its top k gallery images shows the same item.
    /// </summary>
    /// <param name="dataset">The dataset the sample indices point into.</param>
    /// <param name="sampleIndices">The dataset index of each embedding row.</param>
    /// <param name="embeddings">Embeddings <c>[sampleIndices.Count, D]</c>, covering the query and gallery samples.</param>
    /// <param name="options">Cut-offs and search settings.</param>
    /// <exception cref="ArgumentException">The rows hold no query or no gallery sample.</exception>
    public static RetrievalEvaluationResult InShopRetrieval(FashionDataset dataset, IReadOnlyList<int> sampleIndices, Tensor embeddings,
        RetrievalEvaluationOptions? options = null)
    {
        RequireRows(dataset, sampleIndices, embeddings);
        var queries = Rows(sampleIndices, i => dataset.Samples[i].Split == EvaluationSplit.Query);
        var gallery = Rows(sampleIndices, i => dataset.Samples[i].Split == EvaluationSplit.Gallery);
        return Retrieval(dataset, sampleIndices, embeddings, queries, gallery, "In-shop retrieval needs query and gallery images", options);
    }

    /// <summary>
    /// Consumer-to-shop retrieval: the consumer images of the pairs of <paramref name="split"/> are searched against the
    /// shop images of those pairs; a query is a hit at k when one of its top k shop images shows the same item.
    /// </summary>
    /// <param name="dataset">A Consumer-to-shop dataset (its <see cref="FashionDataset.Pairs"/> name the roles).</param>
    /// <param name="sampleIndices">The dataset index of each embedding row.</param>
    /// <param name="embeddings">Embeddings <c>[sampleIndices.Count, D]</c>, covering the split's consumer and shop images.</param>
    /// <param name="split">The split whose pairs are evaluated (the benchmark's test split by default).</param>
    /// <param name="options">Cut-offs and search settings.</param>
    /// <exception cref="ArgumentException">The rows hold no consumer or no shop image of the split.</exception>
    public static RetrievalEvaluationResult ConsumerToShopRetrieval(FashionDataset dataset, IReadOnlyList<int> sampleIndices, Tensor embeddings,
        EvaluationSplit split = EvaluationSplit.Test, RetrievalEvaluationOptions? options = null)
    {
        RequireRows(dataset, sampleIndices, embeddings);
        var (consumers, shops) = ConsumerToShopImages(dataset, split);
        var queries = Rows(sampleIndices, consumers.Contains);
        var gallery = Rows(sampleIndices, shops.Contains);
        return Retrieval(dataset, sampleIndices, embeddings, queries, gallery,
            $"Consumer-to-shop retrieval needs consumer and shop images of the '{split.ToFileToken()}' pairs", options);
    }

    /// <summary>The consumer (query) and shop (gallery) images of the pairs of <paramref name="split"/>, as dataset indices.</summary>
    /// <param name="dataset">A Consumer-to-shop dataset.</param>
    /// <param name="split">The split whose pairs count.</param>
    public static (IReadOnlySet<int> Consumers, IReadOnlySet<int> Shops) ConsumerToShopImages(FashionDataset dataset, EvaluationSplit split = EvaluationSplit.Test)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var consumers = new SortedSet<int>();
        var shops = new SortedSet<int>();
        foreach (var pair in dataset.Pairs.Where(p => p.Split == split))
        {
            consumers.Add(pair.ConsumerIndex);
            shops.Add(pair.ShopIndex);
        }
        return (consumers, shops);
    }

    /// <summary>
    /// Category top-k accuracy (top-3 and top-5 by default) over the predicted samples that have a category label, and
    /// the per-category results, named from <see cref="FashionDataset.Categories"/>.
    /// </summary>
    /// <param name="dataset">The dataset the predictions index into.</param>
    /// <param name="predictions">Predictions with category logits.</param>
    /// <param name="ks">Cut-offs; 3 and 5 when null.</param>
    /// <exception cref="InvalidOperationException">No predicted sample has a category label.</exception>
    public static CategoryAccuracyResult Categories(FashionDataset dataset, DatasetPredictions predictions, IEnumerable<int>? ks = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        int categories = (int)predictions.CategoryLogits.shape[1];
        var accumulator = new CategoryAccuracyAccumulator(categories, ks, [.. dataset.Categories.Select(c => c.Name)]);
        float[] scores = predictions.CategoryLogits.contiguous().data<float>().ToArray();
        for (int row = 0; row < predictions.SampleIndices.Count; row++)
        {
            if (dataset.Samples[predictions.SampleIndices[row]].CategoryIndex is not { } label) continue;
            if (label >= categories)
                throw new ArgumentException($"Sample '{dataset.Samples[predictions.SampleIndices[row]].ImagePath}' has category {label + 1}, " +
                    $"but the model scores {categories} categories.", nameof(predictions));
            accumulator.Add(scores.AsSpan(row * categories, categories), [label]);
        }
        return accumulator.Result();
    }

    /// <summary>
    /// Attribute top-k recall (top-3 and top-5 by default), overall and per attribute type, over the predicted samples
    /// that have attribute labels (unknown labels count as not positive).
    /// </summary>
    /// <param name="dataset">The dataset the predictions index into; its attribute table gives the types.</param>
    /// <param name="predictions">Predictions with attribute logits.</param>
    /// <param name="ks">Cut-offs; 3 and 5 when null.</param>
    /// <exception cref="InvalidOperationException">No predicted sample has a positive attribute.</exception>
    public static AttributeRecallResult Attributes(FashionDataset dataset, DatasetPredictions predictions, IEnumerable<int>? ks = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        int attributes = (int)predictions.AttributeLogits.shape[1];
        var types = dataset.Attributes.Count == attributes
            ? dataset.Attributes.Select(a => a.Type ?? 0).ToArray()
            : new int[attributes];
        var accumulator = new AttributeRecallAccumulator(types, ks);
        float[] scores = predictions.AttributeLogits.contiguous().data<float>().ToArray();
        var positive = new bool[attributes];
        for (int row = 0; row < predictions.SampleIndices.Count; row++)
        {
            var sample = dataset.Samples[predictions.SampleIndices[row]];
            if (sample.Attributes is not { } labels) continue;
            if (labels.Count != attributes)
                throw new ArgumentException($"Sample '{sample.ImagePath}' has {labels.Count} attributes, but the model scores {attributes}.", nameof(predictions));
            for (int a = 0; a < attributes; a++) positive[a] = labels[a] == AttributeValue.Positive;
            accumulator.Add(scores.AsSpan(row * attributes, attributes), positive);
        }
        return accumulator.Result();
    }

    /// <summary>Landmark normalized error over the visible annotated landmarks of the predicted samples.</summary>
    /// <param name="dataset">The dataset the predictions index into.</param>
    /// <param name="predictions">Predictions, with landmarks in source-image pixels.</param>
    /// <param name="options">Detection thresholds.</param>
    public static LandmarkErrorResult Landmarks(FashionDataset dataset, DatasetPredictions predictions, LandmarkEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        var accumulator = new LandmarkErrorAccumulator(options);
        const int values = 2 * LandmarkLayout.SlotCount;
        for (int row = 0; row < predictions.SampleIndices.Count; row++)
        {
            if (dataset.Samples[predictions.SampleIndices[row]].Landmarks is not { } truth) continue;
            var size = predictions.Landmarks.SourceSizes[row];
            accumulator.Add(predictions.Landmarks.SourcePositions.AsSpan(row * values, values), truth.Slots, size.Width, size.Height);
        }
        return accumulator.Result();
    }

    private static RetrievalEvaluationResult Retrieval(FashionDataset dataset, IReadOnlyList<int> sampleIndices, Tensor embeddings, List<long> queries,
        List<long> gallery, string need, RetrievalEvaluationOptions? options)
    {
        if (queries.Count == 0 || gallery.Count == 0)
            throw new ArgumentException($"{need}; the embeddings cover {queries.Count} queries and {gallery.Count} gallery images.", nameof(sampleIndices));
        using var scope = NewDisposeScope();
        var queryEmbeddings = embeddings.index_select(0, tensor(queries.ToArray(), device: embeddings.device));
        var galleryEmbeddings = embeddings.index_select(0, tensor(gallery.ToArray(), device: embeddings.device));
        return RetrievalEvaluator.Evaluate(queryEmbeddings, ItemIds(dataset, sampleIndices, queries), galleryEmbeddings,
            ItemIds(dataset, sampleIndices, gallery), options);
    }

    private static void RequireRows(FashionDataset dataset, IReadOnlyList<int> sampleIndices, Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.dim() != 2 || embeddings.shape[0] != sampleIndices.Count)
            throw new ArgumentException($"Expected embeddings [{sampleIndices.Count}, D] (one row per sample), got [{string.Join(", ", embeddings.shape)}].",
                nameof(embeddings));
        foreach (int index in sampleIndices)
        {
            if ((uint)index >= (uint)dataset.Samples.Count)
                throw new ArgumentOutOfRangeException(nameof(sampleIndices), index, $"The dataset has {dataset.Samples.Count} samples.");
        }
    }

    private static List<long> Rows(IReadOnlyList<int> sampleIndices, Func<int, bool> selected)
    {
        var rows = new List<long>();
        for (int row = 0; row < sampleIndices.Count; row++)
        {
            if (selected(sampleIndices[row])) rows.Add(row);
        }
        return rows;
    }

    private static string[] ItemIds(FashionDataset dataset, IReadOnlyList<int> sampleIndices, List<long> rows) =>
        rows.Select(row => dataset.Samples[sampleIndices[(int)row]].ItemId
            ?? throw new ArgumentException($"Sample '{dataset.Samples[sampleIndices[(int)row]].ImagePath}' has no item id.")).ToArray();
}
