using FashionNet.Data;
using FashionNet.Data.Annotations;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>The DeepFashion protocols applied to a model's <see cref="DatasetPredictions"/> on a <see cref="FashionDataset"/>.</summary>
public static class BenchmarkEvaluation
{
    /// <summary>
    /// In-shop retrieval: the predicted rows whose sample is a query are searched against the rows whose sample is in the
    /// gallery; a query is a hit at k when one of its top k gallery images shows the same item.
    /// </summary>
    /// <param name="dataset">The dataset the predictions index into.</param>
    /// <param name="predictions">Predictions covering the query and gallery samples.</param>
    /// <param name="options">Cut-offs and search settings.</param>
    /// <exception cref="ArgumentException">The predictions hold no query or no gallery sample.</exception>
    public static RetrievalEvaluationResult InShopRetrieval(FashionDataset dataset, DatasetPredictions predictions, RetrievalEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        var queries = RowsOf(dataset, predictions, EvaluationSplit.Query);
        var gallery = RowsOf(dataset, predictions, EvaluationSplit.Gallery);
        if (queries.Count == 0 || gallery.Count == 0)
        {
            throw new ArgumentException(
                $"In-shop retrieval needs query and gallery images; the predictions cover {queries.Count} queries and {gallery.Count} gallery images.",
                nameof(predictions));
        }
        using var scope = NewDisposeScope();
        var queryEmbeddings = predictions.Embeddings.index_select(0, tensor(queries.ToArray()));
        var galleryEmbeddings = predictions.Embeddings.index_select(0, tensor(gallery.ToArray()));
        return RetrievalEvaluator.Evaluate(queryEmbeddings, ItemIds(dataset, predictions, queries), galleryEmbeddings,
            ItemIds(dataset, predictions, gallery), options);
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
            var size = predictions.SourceSizes[row];
            accumulator.Add(predictions.SourceLandmarks.AsSpan(row * values, values), truth.Slots, size.Width, size.Height);
        }
        return accumulator.Result();
    }

    private static List<long> RowsOf(FashionDataset dataset, DatasetPredictions predictions, EvaluationSplit split)
    {
        var rows = new List<long>();
        for (int row = 0; row < predictions.SampleIndices.Count; row++)
        {
            if (dataset.Samples[predictions.SampleIndices[row]].Split == split) rows.Add(row);
        }
        return rows;
    }

    private static string[] ItemIds(FashionDataset dataset, DatasetPredictions predictions, List<long> rows) =>
        rows.Select(row => dataset.Samples[predictions.SampleIndices[(int)row]].ItemId
            ?? throw new ArgumentException($"Sample '{dataset.Samples[predictions.SampleIndices[(int)row]].ImagePath}' has no item id.")).ToArray();
}
