using FashionNet.Data.Loading;
using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Losses;
using static TorchSharp.torch;

namespace FashionNet.Training;

/// <summary>
/// One named term of the training objective, computed from the model's output and the batch's labels. A term masks
/// samples without its labels itself (per sample); it returns null when no sample of the batch has them, and is then
/// left out of the total and of the log. <see cref="FashionNetCriterion"/> weights the terms by name.
/// </summary>
public interface ILossTerm : IDisposable
{
    /// <summary>The term's name: its key in stage loss weights, and <c>loss/NAME</c> in <c>metrics.jsonl</c>.</summary>
    string Name { get; }

    /// <summary>The unweighted term on the batch (a differentiable scalar), or null when the batch has no labels for it.</summary>
    /// <param name="output">The model's output for the batch's images.</param>
    /// <param name="batch">The batch and its labels.</param>
    Tensor? Compute(FashionNetOutput output, FashionBatch batch);
}

/// <summary>The names of the standard terms of <see cref="FashionNetCriterion.Standard"/>.</summary>
public static class LossTermNames
{
    /// <summary>Visibility-masked landmark L2 (<see cref="LandmarkRegressionLoss"/>).</summary>
    public const string Landmarks = "landmarks";

    /// <summary>Landmark visibility cross-entropy over every slot of annotated samples (<see cref="VisibilityLoss"/>).</summary>
    public const string Visibility = "visibility";

    /// <summary>Category cross-entropy (<see cref="MaskedCrossEntropyLoss"/>).</summary>
    public const string Category = "category";

    /// <summary>The weighted attribute loss (<see cref="WeightedAttributeLoss"/>).</summary>
    public const string Attributes = "attributes";

    /// <summary>Batch-hard triplet loss on the embedding (<see cref="BatchHardMiner"/>, <see cref="TripletMarginLoss"/>).</summary>
    public const string Triplet = "triplet";

    /// <summary>
    /// Batch-hard triplet loss on the global branch's feature alone (L2-normalized), not part of the paper's objective:
    /// it gives the global branch a retrieval signal of its own, which the fused embedding does not (there the local
    /// branch can carry the triplet term while the global branch learns less than it does alone).
    /// </summary>
    public const string GlobalTriplet = "globalTriplet";

    /// <summary>
    /// Normalized-softmax item classification (Zhai and Wu, BMVC 2019), not part of the paper's objective: cross-entropy
    /// over the training items of the embedding's cosine similarities to learned item proxies, divided by a temperature
    /// (<see cref="ItemTerm"/>). Every sample is pulled toward its item's proxy and away from all other items' proxies,
    /// not only from the hardest negative of its batch as in the triplet term. Needs the model's item head
    /// (<see cref="FashionNetOptions.ItemCount"/>), which a training sizes to the data when a stage weights this term.
    /// Each proxy learns only from the batches that hold its item: on the In-shop sample, two stage-2 epochs (each item
    /// in one batch per epoch) left randomly started proxies unlearned and cost retrieval; started at the items' mean
    /// embeddings (<see cref="TrainingOptions.ItemProxies"/>) they learned and lifted it (docs/RESULTS.md).
    /// </summary>
    public const string Items = "items";

    /// <summary>The paper's five terms, in the order the standard criterion computes them.</summary>
    public static IReadOnlyList<string> Paper { get; } = [Landmarks, Visibility, Category, Attributes, Triplet];

    /// <summary>Every standard term: the paper's, then <see cref="GlobalTriplet"/> and <see cref="Items"/>.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Paper, GlobalTriplet, Items];
}

/// <summary>Landmark L2 at the visible annotated landmarks, in normalized coordinates.</summary>
internal sealed class LandmarkTerm : ILossTerm
{
    private readonly LandmarkRegressionLoss _loss = new();

    public string Name => LossTermNames.Landmarks;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch) =>
        batch.LabelCounts.Landmarks == 0 ? null : _loss.call(output.Landmarks, batch.Landmarks.Positions, batch.Landmarks.Visible);

    public void Dispose() => _loss.Dispose();
}

/// <summary>
/// Visible-or-not cross-entropy over every slot of the samples with a landmark annotation: a slot their clothes type
/// does not have (the collar of trousers) counts as not visible, so the gate learns to leave it out of pooling.
/// Samples without an annotation are masked out.
/// </summary>
internal sealed class VisibilityTerm : ILossTerm
{
    private readonly VisibilityLoss _loss = new();

    public string Name => LossTermNames.Visibility;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch)
    {
        if (batch.LabelCounts.Landmarks == 0) return null;
        var annotated = batch.Landmarks.Labelled.any(1, keepdim: true).expand_as(batch.Landmarks.Labelled);
        return _loss.call(output.VisibilityLogits, batch.Landmarks.Visible, annotated);
    }

    public void Dispose() => _loss.Dispose();
}

/// <summary>Category cross-entropy over the samples with a category.</summary>
internal sealed class CategoryTerm : ILossTerm
{
    private readonly MaskedCrossEntropyLoss _loss = new();

    public string Name => LossTermNames.Category;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch) =>
        batch.LabelCounts.Categories == 0 ? null : _loss.call(output.CategoryLogits, batch.Categories);

    public void Dispose() => _loss.Dispose();
}

/// <summary>
/// The normalized-softmax item term (<see cref="LossTermNames.Items"/>): cross-entropy of the output's item
/// similarities divided by <paramref name="temperature"/> over the samples with an item identity.
/// </summary>
/// <param name="temperature">Divides the cosine similarities (in [-1, 1]) before the softmax; small values sharpen it.</param>
internal sealed class ItemTerm(double temperature) : ILossTerm
{
    private readonly MaskedCrossEntropyLoss _loss = new();

    public string Name => LossTermNames.Items;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch)
    {
        if (batch.LabelCounts.Items == 0) return null;
        if (output.ItemSimilarities.shape[1] == 0)
            throw new ArgumentException("The items loss term needs a model with an item head (FashionNetOptions.ItemCount above 0); this model has none.", nameof(output));
        return _loss.call(output.ItemSimilarities / temperature, batch.ItemIndices);
    }

    public void Dispose() => _loss.Dispose();
}

/// <summary>The weighted attribute loss over the known labels, with w_pos / w_neg counted on the training set.</summary>
internal sealed class AttributeTerm : ILossTerm
{
    private readonly WeightedAttributeLoss _loss;

    public AttributeTerm(AttributeWeights weights, Device? device)
    {
        var (positive, negative) = weights.ToTensors(device);
        using (positive)
        using (negative)
            _loss = new WeightedAttributeLoss(positive, negative);
    }

    public string Name => LossTermNames.Attributes;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch)
    {
        if (batch.LabelCounts.Attributes == 0) return null;
        long labels = batch.Attributes.shape[1], scored = output.AttributeLogits.shape[1], weighted = _loss.PositiveWeights.shape[0];
        if (labels != scored || labels != weighted)
        {
            throw new ArgumentException(
                $"The batch has {labels} attribute labels, the model scores {scored} attributes and the loss weights {weighted}: they must agree.", nameof(batch));
        }
        return _loss.call(output.AttributeLogits, batch.Attributes, batch.AttributeMask);
    }

    public void Dispose() => _loss.Dispose();
}

/// <summary>Batch-hard triplet loss over the samples with an item identity, on one feature of the output.</summary>
/// <param name="name">The term's name.</param>
/// <param name="feature">The L2-normalized feature the term mines and scores, from the output (in the caller's scope).</param>
/// <param name="margin">The triplet margin.</param>
internal sealed class TripletTerm(string name, Func<FashionNetOutput, Tensor> feature, double margin) : ILossTerm
{
    private readonly BatchHardMiner _miner = new();
    private readonly TripletMarginLoss _loss = new(margin);

    /// <summary>The paper's term, on the fused embedding.</summary>
    public static TripletTerm OnEmbedding(double margin) => new(LossTermNames.Triplet, output => output.Embedding, margin);

    /// <summary>The term on the global branch's feature alone (<see cref="LossTermNames.GlobalTriplet"/>).</summary>
    public static TripletTerm OnGlobalFeature(double margin) =>
        new(LossTermNames.GlobalTriplet, output => nn.functional.normalize(output.GlobalFeature, p: 2, dim: 1), margin);

    public string Name => name;

    public Tensor? Compute(FashionNetOutput output, FashionBatch batch)
    {
        if (batch.LabelCounts.Items == 0) return null;
        var embeddings = feature(output);
        using var triplets = _miner.call(embeddings, batch.ItemIndices);
        return _loss.call(embeddings, triplets);
    }

    public void Dispose()
    {
        _miner.Dispose();
        _loss.Dispose();
    }
}
