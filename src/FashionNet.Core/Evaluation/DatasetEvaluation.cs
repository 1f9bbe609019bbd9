using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Model;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>The DeepFashion protocols a dataset is evaluated by; <see cref="DatasetEvaluation.ProtocolOf"/> picks one from its format.</summary>
public enum EvaluationProtocol
{
    /// <summary>In-shop retrieval: query images against the gallery.</summary>
    InShopRetrieval,

    /// <summary>Consumer-to-shop retrieval: the consumer images of the test pairs against their shop images.</summary>
    ConsumerToShopRetrieval,

    /// <summary>A model's predictions (category, attributes, landmarks) on the test split, or on every image without one.</summary>
    Predictions,
}

/// <summary>The images a protocol evaluates, as dataset indices.</summary>
/// <param name="Queries">Retrieval queries (empty for <see cref="EvaluationProtocol.Predictions"/>).</param>
/// <param name="Gallery">Retrieval gallery (empty for <see cref="EvaluationProtocol.Predictions"/>).</param>
/// <param name="All">Every image evaluated, in the order of the embedding rows: queries then gallery for retrieval.</param>
public sealed record ProtocolImages(IReadOnlyList<int> Queries, IReadOnlyList<int> Gallery, IReadOnlyList<int> All);

/// <summary>How an evaluation feeds the model.</summary>
public sealed record DatasetEvaluationOptions
{
    /// <summary>Images per batch and background decoding.</summary>
    public EmbeddingOptions Embedding { get; init; } = new();

    /// <summary>Retrieval cut-offs and search settings.</summary>
    public RetrievalEvaluationOptions? Retrieval { get; init; }

    /// <summary>Landmark detection thresholds.</summary>
    public LandmarkEvaluationOptions? Landmarks { get; init; }
}

/// <summary>What an evaluation measured, with the embeddings it computed (for contact sheets or an index); dispose it.</summary>
public sealed class DatasetEvaluationResult : IDisposable
{
    internal DatasetEvaluationResult(BenchmarkReport report, ProtocolImages images, Tensor embeddings, LandmarkPredictions? landmarks,
        IReadOnlyList<string> notes)
    {
        Report = report;
        Images = images;
        Embeddings = embeddings;
        Landmarks = landmarks;
        Notes = notes;
    }

    /// <summary>The measures.</summary>
    public BenchmarkReport Report { get; }

    /// <summary>The images evaluated.</summary>
    public ProtocolImages Images { get; }

    /// <summary>L2-normalized embeddings <c>[Images.All.Count, D]</c> on the CPU, rows in <see cref="ProtocolImages.All"/> order.</summary>
    public Tensor Embeddings { get; }

    /// <summary>A FashionNet model's landmarks, per image in <see cref="ProtocolImages.All"/> order; null for an embedder that predicts none.</summary>
    public LandmarkPredictions? Landmarks { get; }

    /// <summary>Why a measure the data might suggest was not taken (e.g. categories the model's head does not cover).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <inheritdoc/>
    public void Dispose() => Embeddings.Dispose();
}

/// <summary>
/// Evaluates an embedder or a FashionNet model on a dataset by the protocol its format calls for, in one pass over the
/// images: a trained FashionNet's embeddings and predictions come from the same forward pass, so retrieval, category,
/// attribute, landmark and gating measures of the same images cost one decoding and one inference. Serves the
/// <c>evaluate</c> and <c>demo</c> commands and the validators between training epochs.
/// </summary>
public static class DatasetEvaluation
{
    /// <summary>The protocol of a dataset format: retrieval for In-shop and Consumer-to-shop, predictions otherwise.</summary>
    public static EvaluationProtocol ProtocolOf(DeepFashionFormat format) => format switch
    {
        DeepFashionFormat.InShop => EvaluationProtocol.InShopRetrieval,
        DeepFashionFormat.ConsumerToShop => EvaluationProtocol.ConsumerToShopRetrieval,
        _ => EvaluationProtocol.Predictions,
    };

    /// <summary>The images <paramref name="protocol"/> evaluates in <paramref name="dataset"/>.</summary>
    public static ProtocolImages ImagesOf(FashionDataset dataset, EvaluationProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        switch (protocol)
        {
            case EvaluationProtocol.InShopRetrieval:
                return Retrieval(dataset.IndicesOf(EvaluationSplit.Query), dataset.IndicesOf(EvaluationSplit.Gallery));
            case EvaluationProtocol.ConsumerToShopRetrieval:
                var (consumers, shops) = BenchmarkEvaluation.ConsumerToShopImages(dataset);
                return Retrieval([.. consumers], [.. shops]);
            case EvaluationProtocol.Predictions:
                var test = dataset.IndicesOf(EvaluationSplit.Test);
                return new ProtocolImages([], [], test.Count > 0 ? test : [.. Enumerable.Range(0, dataset.Samples.Count)]);
            default:
                throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol.");
        }

        static ProtocolImages Retrieval(IReadOnlyList<int> queries, IReadOnlyList<int> gallery) => new(queries, gallery, [.. queries, .. gallery]);
    }

    /// <summary>
    /// Evaluates <paramref name="embedder"/> on <paramref name="dataset"/> by its format's protocol. A
    /// <see cref="FashionNetEmbedder"/> is measured on everything the images are labelled for (retrieval for the
    /// retrieval protocols; category, attributes, landmarks and the local branch's gating wherever the labels exist);
    /// any other embedder on retrieval only.
    /// </summary>
    /// <param name="embedder">The embedding, or a trained FashionNet.</param>
    /// <param name="dataset">The data.</param>
    /// <param name="options">Batching and measure settings.</param>
    /// <param name="progress">Receives the number of images done after each batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ArgumentException">The protocol needs a model's predictions and <paramref name="embedder"/> is a baseline, or the data has nothing to measure.</exception>
    public static DatasetEvaluationResult Evaluate(IImageEmbedder embedder, FashionDataset dataset, DatasetEvaluationOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new DatasetEvaluationOptions();
        var protocol = ProtocolOf(dataset.Format);
        var images = ImagesOf(dataset, protocol);
        if (embedder is FashionNetEmbedder trained)
        {
            var loader = FashionDataLoader.ForEvaluation(dataset, images.All, trained.ImageSize, trained.Normalizer, options.Embedding.BatchSize,
                options.Embedding.Loader);
            using var predictions = DatasetPredictions.Predict(trained.Model, loader, progress, cancellationToken);
            var (report, notes) = Measure(dataset, protocol, predictions, trained.Model, options);
            return new DatasetEvaluationResult(report with { Model = embedder.Fingerprint }, images, predictions.Embeddings.clone(),
                predictions.Landmarks, notes);
        }

        if (protocol == EvaluationProtocol.Predictions)
            throw new ArgumentException($"The {dataset.Format} benchmark measures a model's category, attribute and landmark predictions; a baseline embedding has none.", nameof(embedder));
        var embeddings = ImageEmbedding.EmbedSamples(embedder, dataset, images.All, options.Embedding, progress, cancellationToken);
        var retrieval = Retrieval(dataset, protocol, images.All, embeddings, options);
        return new DatasetEvaluationResult(new BenchmarkReport(embedder.Fingerprint, dataset.Root, protocol, images.All.Count, retrieval), images, embeddings, null, []);
    }

    /// <summary>
    /// Every measure the images' labels allow, from a model's predictions on them: retrieval (for the retrieval
    /// protocols), category accuracy (when the model's head covers the labels), attribute recall, landmark error, the
    /// share of images whose landmark slots the local branch pools, and how many units of each branch's feature fire.
    /// </summary>
    /// <param name="dataset">The data the predictions index into.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="predictions">The model's predictions on the protocol's images (<see cref="ImagesOf"/>).</param>
    /// <param name="model">The model that made them (its head sizes, gate threshold and local branch).</param>
    /// <param name="options">Measure settings; defaults when null.</param>
    /// <returns>The report (its model fingerprint left empty) and notes on measures skipped.</returns>
    public static (BenchmarkReport Report, IReadOnlyList<string> Notes) Measure(FashionDataset dataset, EvaluationProtocol protocol,
        DatasetPredictions predictions, FashionNetModel model, DatasetEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DatasetEvaluationOptions();
        var notes = new List<string>();
        var rows = predictions.SampleIndices;
        var samples = rows.Select(i => dataset.Samples[i]).ToList();

        var retrieval = protocol == EvaluationProtocol.Predictions ? null : Retrieval(dataset, protocol, rows, predictions.Embeddings, options);
        CategoryAccuracyResult? category = null;
        int highestLabel = samples.Select(s => s.CategoryLabel ?? 0).DefaultIfEmpty(0).Max();
        if (highestLabel > model.Options.CategoryCount)
            notes.Add($"categories not evaluated: the images have labels up to {highestLabel}, the model scores {model.Options.CategoryCount}");
        else if (highestLabel > 0)
            category = BenchmarkEvaluation.Categories(dataset, predictions, [1, 3, 5]);
        AttributeRecallResult? attributes = null;
        if (samples.Any(s => s.Attributes is { PositiveCount: > 0 }))
        {
            if (dataset.AttributeCount == model.Options.AttributeCount) attributes = BenchmarkEvaluation.Attributes(dataset, predictions);
            else notes.Add($"attributes not evaluated: the images have {dataset.AttributeCount} attribute labels, the model scores {model.Options.AttributeCount}");
        }
        var landmarks = samples.Any(s => s.Landmarks is not null) ? BenchmarkEvaluation.Landmarks(dataset, predictions, options.Landmarks) : null;
        var gating = model.Options.UseLocalBranch && model.EvaluationLandmarks == LandmarkSource.Predicted
            ? LandmarkGating.Of(dataset, predictions, model.Options.VisibilityThreshold) : null;
        if (retrieval is null && category is null && attributes is null && landmarks is null)
            throw new ArgumentException($"'{dataset.Root}' has no category, attribute or landmark annotations to evaluate against.", nameof(dataset));
        return (new BenchmarkReport("", dataset.Root, protocol, rows.Count, retrieval, category, attributes, landmarks, gating, predictions.Features), notes);
    }

    private static RetrievalEvaluationResult Retrieval(FashionDataset dataset, EvaluationProtocol protocol, IReadOnlyList<int> rows, Tensor embeddings,
        DatasetEvaluationOptions options) => protocol == EvaluationProtocol.InShopRetrieval
            ? BenchmarkEvaluation.InShopRetrieval(dataset, rows, embeddings, options.Retrieval)
            : BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, rows, embeddings, options: options.Retrieval);
}
