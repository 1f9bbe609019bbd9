using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Model;

namespace FashionNet.Training;

/// <summary>
/// Validates on an In-shop style split: retrieval hit rate of the query images against the gallery (<c>r@1</c>,
/// <c>r@5</c>, ...; <c>r@1</c> selects the best model) and, where the images have them, category accuracy
/// (<c>category_top1</c>, ...), the landmark normalized error (<c>landmark_error</c>, mean over slots; it breaks
/// <c>r@1</c> ties) and detection rate at 0.05 (<c>landmark_detection@0.05</c>).
/// </summary>
public sealed class InShopValidator : IModelValidator
{
    private readonly FashionDataset _dataset;
    private readonly FashionDataLoader _loader;

    /// <summary>Creates the validator.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="loader">Its query and gallery samples, sequentially sampled, with the evaluation transform.</param>
    public InShopValidator(FashionDataset dataset, FashionDataLoader loader)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
    }

    /// <inheritdoc/>
    public string SelectionMetric => "r@1";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Validate(FashionNetModel model, CancellationToken cancellationToken)
    {
        using var predictions = DatasetPredictions.Predict(model, _loader, cancellationToken: cancellationToken);
        return MetricsOf(DatasetEvaluation.Measure(_dataset, EvaluationProtocol.InShopRetrieval, predictions, model).Report);
    }

    /// <summary>
    /// A higher <c>r@1</c>; at equal <c>r@1</c> (common with a few hundred queries) a lower <c>landmark_error</c>, so a tie
    /// does not keep an earlier model whose landmarks are worse.
    /// </summary>
    public bool Improves(IReadOnlyDictionary<string, double> candidate, IReadOnlyDictionary<string, double> best)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(best);
        double candidateHits = candidate[SelectionMetric], bestHits = best[SelectionMetric];
        if (candidateHits != bestHits) return candidateHits > bestHits;
        return candidate.TryGetValue("landmark_error", out double candidateError) && best.TryGetValue("landmark_error", out double bestError)
            && candidateError < bestError;
    }

    /// <summary>
    /// A report as named validation metrics: <c>r@K</c>, <c>category_topK</c>, <c>landmark_error</c> and
    /// <c>landmark_detection@0.05</c>, each where the report has it.
    /// </summary>
    internal static Dictionary<string, double> MetricsOf(BenchmarkReport report)
    {
        var metrics = new Dictionary<string, double>();
        foreach (var rate in report.Retrieval?.HitRate ?? []) metrics[$"r@{rate.K}"] = rate.Rate;
        foreach (var rate in report.Category?.TopK ?? []) metrics[$"category_top{rate.K}"] = rate.Rate;
        if (report.Landmarks?.MeanError is { } error)
        {
            metrics["landmark_error"] = error;
            metrics["landmark_detection@0.05"] = report.Landmarks.DetectionRates.First(r => r.Threshold == 0.05).Rate;
        }
        return metrics;
    }
}
