using FashionNet.Data.Loading;
using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Training;

/// <summary>The loss of one batch: the weighted total and each term, for logging.</summary>
/// <param name="Total">The weighted sum of the active terms (a scalar that backpropagates).</param>
/// <param name="Terms">Each active term, unweighted, by name (<c>landmarks</c>, <c>visibility</c>, <c>category</c>, <c>attributes</c>, <c>triplet</c>).</param>
public sealed record BatchLoss(Tensor Total, IReadOnlyDictionary<string, Tensor> Terms);

/// <summary>
/// FashionNet's training objective, composed from the library's loss pieces: visibility-masked landmark L2,
/// visibility cross-entropy, category cross-entropy, the weighted attribute loss and batch-hard triplet loss. A term
/// with weight 0, or whose labels the batch lacks entirely, is left out; per-sample missing labels are masked by the
/// pieces themselves.
/// </summary>
public sealed class FashionNetCriterion : IDisposable
{
    private readonly LandmarkRegressionLoss _landmarks = new();
    private readonly VisibilityLoss _visibility = new();
    private readonly MaskedCrossEntropyLoss _category = new();
    private readonly WeightedAttributeLoss? _attributes;
    private readonly BatchHardMiner _miner = new();
    private readonly TripletMarginLoss _triplet;

    /// <summary>Creates the objective.</summary>
    /// <param name="tripletMargin">Margin of the triplet loss.</param>
    /// <param name="attributeWeights">Per-attribute w_pos / w_neg from the training set, or null when it has no attributes.</param>
    public FashionNetCriterion(double tripletMargin, AttributeWeights? attributeWeights)
    {
        _triplet = new TripletMarginLoss(tripletMargin);
        if (attributeWeights is not null && attributeWeights.Positive.Count > 0)
        {
            var (positive, negative) = attributeWeights.ToTensors();
            using (positive)
            using (negative)
                _attributes = new WeightedAttributeLoss(positive, negative);
        }
    }

    /// <summary>Computes the loss of <paramref name="output"/> on <paramref name="batch"/>, in the caller's dispose scope.</summary>
    /// <param name="output">The model's output for the batch's images.</param>
    /// <param name="batch">The batch, with landmarks in network-input pixels.</param>
    /// <param name="weights">This stage's loss weights.</param>
    public BatchLoss Compute(FashionNetOutput output, FashionBatch batch, LossWeights weights)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(weights);

        var terms = new Dictionary<string, Tensor>();
        var weighted = new List<Tensor>();
        void Add(string name, double weight, Func<Tensor> term)
        {
            if (weight == 0) return;
            var value = term();
            terms[name] = value;
            weighted.Add(value * weight);
        }

        if (batch.Presence.any().item<bool>())
        {
            var visible = BatchTargets.VisibleLandmarks(batch);
            Add("landmarks", weights.Landmarks, () => _landmarks.call(output.Landmarks, BatchTargets.NormalizedLandmarks(batch), visible));
            Add("visibility", weights.Visibility, () => _visibility.call(output.VisibilityLogits, visible, batch.Presence));
        }
        if (batch.Categories.ge(0).any().item<bool>())
            Add("category", weights.Category, () => _category.call(output.CategoryLogits, batch.Categories));
        if (_attributes is not null && batch.Attributes.shape[1] == output.AttributeLogits.shape[1] && batch.AttributeMask.any().item<bool>())
            Add("attributes", weights.Attributes, () => _attributes.call(output.AttributeLogits, batch.Attributes, batch.AttributeMask));
        if (batch.ItemIndices.ge(0).any().item<bool>())
        {
            Add("triplet", weights.Triplet, () =>
            {
                using var triplets = _miner.call(output.Embedding, batch.ItemIndices);
                return _triplet.call(output.Embedding, triplets);
            });
        }

        var total = weighted.Count > 0 ? stack(weighted).sum() : output.Embedding.sum() * 0;
        return new BatchLoss(total, terms);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _landmarks.Dispose();
        _visibility.Dispose();
        _category.Dispose();
        _attributes?.Dispose();
        _miner.Dispose();
        _triplet.Dispose();
    }
}
