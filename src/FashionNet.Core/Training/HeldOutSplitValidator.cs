using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Model;

namespace FashionNet.Training;

/// <summary>
/// Validates on a held-out split of data without item identities (Category and Attribute, Landmark Detection):
/// category top-1/3/5 accuracy (<c>category_top3</c> selects the best model when the data has categories) and the
/// landmark normalized error and detection rate at 0.05 (<c>landmark_detection@0.05</c> selects otherwise).
/// </summary>
public sealed class HeldOutSplitValidator : IModelValidator
{
    private readonly FashionDataset _dataset;
    private readonly FashionDataLoader _loader;
    private readonly bool _hasCategories;

    /// <summary>Creates the validator.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="loader">Its held-out samples, sequentially sampled, with the evaluation transform.</param>
    /// <param name="hasCategories">Whether the held-out samples carry category labels.</param>
    public HeldOutSplitValidator(FashionDataset dataset, FashionDataLoader loader, bool hasCategories)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
        _hasCategories = hasCategories;
    }

    /// <inheritdoc/>
    public string SelectionMetric => _hasCategories ? "category_top3" : "landmark_detection@0.05";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Validate(FashionNetModel model, CancellationToken cancellationToken)
    {
        using var predictions = DatasetPredictions.Predict(model, _loader, cancellationToken: cancellationToken);
        return InShopValidator.MetricsOf(DatasetEvaluation.Measure(_dataset, EvaluationProtocol.Predictions, predictions, model).Report);
    }
}
