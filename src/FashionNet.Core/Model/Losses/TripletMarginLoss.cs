using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>
/// Triplet margin loss with Euclidean distance, <c>max(0, margin + d(a, p) - d(a, n))</c>, averaged over the given
/// triplets (e.g. from <see cref="BatchHardMiner"/>). No triplet gives 0 (still differentiable).
/// </summary>
public sealed class TripletMarginLoss : nn.Module<Tensor, TripletIndices, Tensor>
{
    /// <summary>Creates the loss.</summary>
    /// <param name="margin">The margin m, finite and &gt;= 0.</param>
    public TripletMarginLoss(double margin) : base(nameof(TripletMarginLoss))
    {
        if (!double.IsFinite(margin) || margin < 0) throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must be finite and >= 0.");
        Margin = margin;
    }

    /// <summary>The margin m.</summary>
    public double Margin { get; }

    /// <summary>Computes the loss.</summary>
    /// <param name="embeddings">Embeddings <c>[N, D]</c>, floating point.</param>
    /// <param name="triplets">Indices into <paramref name="embeddings"/>.</param>
    public override Tensor forward(Tensor embeddings, TripletIndices triplets)
    {
        ArgumentNullException.ThrowIfNull(triplets);
        if (embeddings.dim() != 2 || !embeddings.is_floating_point())
            throw new ArgumentException($"Expected floating point embeddings [N, D], got {LandmarkRegressionLoss.Describe(embeddings)}.", nameof(embeddings));
        if (triplets.Count == 0) return MaskedMean.ZeroFrom(embeddings);
        foreach (var indices in new[] { triplets.Anchors, triplets.Positives, triplets.Negatives })
        {
            if (indices.dim() != 1 || indices.shape[0] != triplets.Count || indices.min().item<long>() < 0 || indices.max().item<long>() >= embeddings.shape[0])
                throw new ArgumentException($"Triplet indices must be {triplets.Count} indices in [0, {embeddings.shape[0]}).", nameof(triplets));
        }

        using var scope = NewDisposeScope();
        var anchors = embeddings.index_select(0, triplets.Anchors);
        var positiveDistance = Distances.RowEuclidean(anchors, embeddings.index_select(0, triplets.Positives));
        var negativeDistance = Distances.RowEuclidean(anchors, embeddings.index_select(0, triplets.Negatives));
        return nn.functional.relu(positiveDistance - negativeDistance + Margin).mean().MoveToOuterDisposeScope();
    }
}
