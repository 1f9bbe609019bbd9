using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>Triplets as index tensors into a batch: anchor, positive (same label) and negative (other label), each <c>[T]</c> int64.</summary>
/// <param name="Anchors">Anchor indices.</param>
/// <param name="Positives">Positive indices.</param>
/// <param name="Negatives">Negative indices.</param>
public sealed record TripletIndices(Tensor Anchors, Tensor Positives, Tensor Negatives) : IDisposable
{
    /// <summary>Number of triplets.</summary>
    public long Count => Anchors.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Anchors.Dispose();
        Positives.Dispose();
        Negatives.Dispose();
    }
}

/// <summary>
/// Batch-hard triplet mining (Hermans et al. 2017) for P x K batches: every sample with at least one positive and one
/// negative in the batch becomes an anchor, paired with its farthest positive and its closest negative by Euclidean
/// distance. Samples with a negative label (no identity) are never used. Mining does not record gradients.
/// </summary>
public sealed class BatchHardMiner : nn.Module<Tensor, Tensor, TripletIndices>
{
    /// <summary>Creates the miner.</summary>
    public BatchHardMiner() : base(nameof(BatchHardMiner))
    {
    }

    /// <summary>Mines one triplet per eligible anchor.</summary>
    /// <param name="embeddings">Embeddings <c>[N, D]</c>, floating point.</param>
    /// <param name="labels">Identity labels <c>[N]</c>, integer; negative = unknown.</param>
    /// <returns>The triplets, ordered by anchor index.</returns>
    public override TripletIndices forward(Tensor embeddings, Tensor labels)
    {
        if (embeddings.dim() != 2 || !embeddings.is_floating_point())
            throw new ArgumentException($"Expected floating point embeddings [N, D], got {LandmarkRegressionLoss.Describe(embeddings)}.", nameof(embeddings));
        if (labels.dim() != 1 || labels.shape[0] != embeddings.shape[0] || labels.is_floating_point())
            throw new ArgumentException($"Expected integer labels [{embeddings.shape[0]}], got {LandmarkRegressionLoss.Describe(labels)}.", nameof(labels));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var distances = Distances.PairwiseEuclidean(embeddings, embeddings);
        var known = labels.ge(0);
        var bothKnown = known.unsqueeze(1).logical_and(known.unsqueeze(0));
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0)).logical_and(bothKnown);
        var positive = same.logical_and(eye(labels.shape[0], dtype: ScalarType.Bool, device: labels.device).logical_not());
        var negative = same.logical_not().logical_and(bothKnown);

        // Farthest positive: non-positives count as -1 (below any distance); closest negative: non-negatives as +inf.
        var hardestPositive = where(positive, distances, full_like(distances, -1.0)).argmax(1);
        var hardestNegative = where(negative, distances, full_like(distances, double.PositiveInfinity)).argmin(1);
        var anchors = positive.any(1).logical_and(negative.any(1)).nonzero().squeeze(1);
        var triplets = new TripletIndices(anchors, hardestPositive.index_select(0, anchors), hardestNegative.index_select(0, anchors));
        triplets.Anchors.MoveToOuterDisposeScope();
        triplets.Positives.MoveToOuterDisposeScope();
        triplets.Negatives.MoveToOuterDisposeScope();
        return triplets;
    }
}
