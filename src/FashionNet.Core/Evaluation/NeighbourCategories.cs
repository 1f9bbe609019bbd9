using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Inference;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>Settings of the category vote among nearest training images (<see cref="NeighbourCategories"/>).</summary>
public sealed record NeighbourCategoryOptions
{
    /// <summary>Training images that vote on each evaluated image's category (default 10; all of them when fewer); at least 1.</summary>
    public int Neighbours { get; init; } = 10;

    /// <summary>Top-k cut-offs of the accuracy (default 1, 3 and 5).</summary>
    public IReadOnlyList<int> Ks { get; init; } = [1, 3, 5];
}

/// <summary>Category accuracy of the vote among each image's nearest training images.</summary>
/// <param name="Neighbours">Voters per image.</param>
/// <param name="ReferenceImages">The labelled training images that could vote.</param>
/// <param name="Accuracy">Top-k accuracy and per-category results of the vote.</param>
public sealed record NeighbourCategoryResult(int Neighbours, int ReferenceImages, CategoryAccuracyResult Accuracy);

/// <summary>
/// Garment categories from the embedding alone: an image's k nearest labelled training images (by cosine similarity)
/// vote for their categories, each with weight (1 + cosine) / 2, in [0, 1], so nearer images count more and a category
/// no neighbour has scores 0. Measures whether the retrieval embedding separates categories without a classifier head;
/// a measure beside the category head's accuracy (<see cref="BenchmarkReport.Category"/>), not the head's.
/// </summary>
public static class NeighbourCategories
{
    /// <summary>Vote scores, row-major <c>[queries, categoryCount]</c>.</summary>
    /// <param name="queries">Embeddings of the images to classify, <c>[Q, D]</c>; normalized here.</param>
    /// <param name="references">Embeddings of the labelled images, <c>[R, D]</c>; normalized here.</param>
    /// <param name="referenceLabels">Each reference's 0-based category, in <c>[0, categoryCount)</c>.</param>
    /// <param name="categoryCount">Number of categories.</param>
    /// <param name="neighbours">Voters per query, in <c>[1, R]</c>.</param>
    /// <exception cref="ArgumentException">Shapes disagree, a label is out of range, or <paramref name="neighbours"/> is.</exception>
    public static float[] Scores(Tensor queries, Tensor references, IReadOnlyList<int> referenceLabels, int categoryCount, int neighbours)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        if (queries.dim() != 2 || references.dim() != 2 || queries.shape[1] != references.shape[1])
            throw new ArgumentException($"Expected embeddings [Q, D] and [R, D], got [{string.Join(", ", queries.shape)}] and [{string.Join(", ", references.shape)}].");
        if (referenceLabels.Count != references.shape[0])
            throw new ArgumentException($"{referenceLabels.Count} labels for {references.shape[0]} references.", nameof(referenceLabels));
        ArgumentOutOfRangeException.ThrowIfLessThan(categoryCount, 1);
        if (neighbours < 1 || neighbours > referenceLabels.Count)
            throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, $"Voters per image must be between 1 and the {referenceLabels.Count} reference images.");
        if (referenceLabels.Any(label => (uint)label >= (uint)categoryCount))
            throw new ArgumentException($"A reference label is outside 0..{categoryCount - 1}.", nameof(referenceLabels));

        // The project's exact, tiled search ranks by cosine, ties to the lower reference index.
        using var scope = NewDisposeScope();
        var nearest = SimilaritySearch.Search(queries.to(ScalarType.Float32), references.to(ScalarType.Float32), neighbours);
        var scores = new float[nearest.QueryCount * categoryCount];
        for (int query = 0; query < nearest.QueryCount; query++)
        {
            var indices = nearest.GetIndices(query);
            var similarities = nearest.GetScores(query);
            for (int n = 0; n < indices.Length; n++) scores[query * categoryCount + referenceLabels[indices[n]]] += (1 + similarities[n]) / 2;
        }
        return scores;
    }

    /// <summary>
    /// The vote's category accuracy on an evaluation's images that have a category, with the training images of the
    /// same dataset that have one as voters (embedded here by the same embedder).
    /// </summary>
    /// <param name="embedder">The embedder the evaluation used.</param>
    /// <param name="dataset">The dataset evaluated.</param>
    /// <param name="evaluated">The evaluation: its images and their embeddings.</param>
    /// <param name="options">Voters and cut-offs; defaults when null.</param>
    /// <param name="embedding">Batching of the training images; defaults when null.</param>
    /// <param name="progress">Receives the number of training images embedded after each batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ArgumentException">The dataset has no training images with a category, or no evaluated image has one.</exception>
    public static NeighbourCategoryResult Evaluate(IImageEmbedder embedder, FashionDataset dataset, DatasetEvaluationResult evaluated,
        NeighbourCategoryOptions? options = null, EmbeddingOptions? embedding = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(evaluated);
        options ??= new NeighbourCategoryOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Neighbours, 1, nameof(options.Neighbours));
        var references = ReferenceImages(dataset);
        if (references.Count == 0)
            throw new ArgumentException($"'{dataset.Root}' has no training images with a category to vote.", nameof(dataset));
        int?[] labels = [.. evaluated.Images.All.Select(i => dataset.Samples[i].CategoryIndex)];
        int[] labelledRows = [.. Enumerable.Range(0, labels.Length).Where(row => labels[row] is not null)];
        if (labelledRows.Length == 0)
            throw new ArgumentException($"No evaluated image of '{dataset.Root}' has a category.", nameof(evaluated));

        using var referenceEmbeddings = ImageEmbedding.EmbedSamples(embedder, dataset, references, embedding, progress, cancellationToken);
        using var rows = tensor(labelledRows.Select(row => (long)row).ToArray());
        using var queries = evaluated.Embeddings.index_select(0, rows.to(evaluated.Embeddings.device));
        int categoryCount = Math.Max(dataset.Categories.Count, dataset.Samples.Max(s => s.CategoryLabel ?? 0));
        int neighbours = Math.Min(options.Neighbours, references.Count);
        float[] scores = Scores(queries, referenceEmbeddings, [.. references.Select(i => dataset.Samples[i].CategoryIndex!.Value)], categoryCount, neighbours);
        var accumulator = new CategoryAccuracyAccumulator(categoryCount, options.Ks, [.. dataset.Categories.Select(c => c.Name)]);
        accumulator.Add(scores, [.. labelledRows.Select(row => labels[row]!.Value)]);
        return new NeighbourCategoryResult(neighbours, references.Count, accumulator.Result());
    }

    /// <summary>The training images of <paramref name="dataset"/> that have a category: the voters.</summary>
    public static IReadOnlyList<int> ReferenceImages(FashionDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return [.. dataset.IndicesOf(EvaluationSplit.Train).Where(i => dataset.Samples[i].CategoryIndex is not null)];
    }
}
