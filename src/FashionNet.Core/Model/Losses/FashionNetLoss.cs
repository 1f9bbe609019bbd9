using FashionNet.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>Weights of FashionNet's loss terms; each finite and &gt;= 0.</summary>
/// <param name="Landmarks">Landmark regression.</param>
/// <param name="Visibility">Landmark visibility.</param>
/// <param name="Category">Category cross-entropy.</param>
/// <param name="Attributes">Weighted attribute cross-entropy.</param>
/// <param name="Triplet">Batch-hard triplet loss on the embedding.</param>
/// <param name="Item">Item classification (only with an item head).</param>
public sealed record FashionNetLossWeights(
    double Landmarks = 1, double Visibility = 1, double Category = 1, double Attributes = 1, double Triplet = 1, double Item = 1)
{
    /// <summary>The paper's first stage: landmark and visibility terms weighted high (5), the rest 1.</summary>
    public static FashionNetLossWeights Stage1 { get; } = new(Landmarks: 5, Visibility: 5);

    /// <summary>The paper's second stage: all terms weighted equally.</summary>
    public static FashionNetLossWeights Stage2 { get; } = new();

    internal void Validate(string parameterName)
    {
        foreach (var (name, value) in new[]
        {
            (nameof(Landmarks), Landmarks), (nameof(Visibility), Visibility), (nameof(Category), Category),
            (nameof(Attributes), Attributes), (nameof(Triplet), Triplet), (nameof(Item), Item),
        })
        {
            if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"Loss weight {name} must be finite and >= 0, got {value}.", parameterName);
        }
    }
}

/// <summary>
/// The labels of a batch of N samples. Any of them may be null (the term is off for the whole batch) or mark single
/// samples or entries as missing (the term is off for those).
/// </summary>
public sealed record FashionNetTargets
{
    /// <summary>True landmarks <c>[N, L, 2]</c>, normalized (x / width, y / height); entries of invisible slots are ignored.</summary>
    public Tensor? Landmarks { get; init; }

    /// <summary><c>[N, L]</c>, nonzero where the true landmark is visible; required with <see cref="Landmarks"/>.</summary>
    public Tensor? LandmarkVisibility { get; init; }

    /// <summary><c>[N]</c>, nonzero for samples that have landmark annotations; null when all have.</summary>
    public Tensor? HasLandmarks { get; init; }

    /// <summary>Category indices <c>[N]</c>, negative for a missing label.</summary>
    public Tensor? Categories { get; init; }

    /// <summary>Attribute labels <c>[N, A]</c>, 0 or 1.</summary>
    public Tensor? Attributes { get; init; }

    /// <summary><c>[N, A]</c>, nonzero where the attribute is labelled; null when all are.</summary>
    public Tensor? AttributeMask { get; init; }

    /// <summary>Item (identity) indices <c>[N]</c>, negative when unknown: the triplet loss's labels and the item head's classes.</summary>
    public Tensor? Items { get; init; }
}

/// <summary>The weighted total and each unweighted term of <see cref="FashionNetLoss"/>, all scalars.</summary>
/// <param name="Total">Weighted sum of the terms: what to backpropagate.</param>
/// <param name="Landmarks">Landmark regression term.</param>
/// <param name="Visibility">Visibility term.</param>
/// <param name="Category">Category term.</param>
/// <param name="Attributes">Attribute term.</param>
/// <param name="Triplet">Triplet term.</param>
/// <param name="Item">Item classification term (0 without an item head).</param>
public sealed record FashionNetLossTerms(Tensor Total, Tensor Landmarks, Tensor Visibility, Tensor Category, Tensor Attributes, Tensor Triplet, Tensor Item);

/// <summary>
/// FashionNet's training objective: the weighted sum of <see cref="LandmarkRegressionLoss"/>, <see cref="VisibilityLoss"/>,
/// <see cref="MaskedCrossEntropyLoss"/> (category, item), <see cref="WeightedAttributeLoss"/> and
/// <see cref="TripletMarginLoss"/> over <see cref="BatchHardMiner"/> triplets of the embedding. A term whose labels are
/// absent is 0 and still differentiable, so a batch with no labels at all yields a zero loss, never NaN.
/// </summary>
public sealed class FashionNetLoss : nn.Module<FashionNetOutput, FashionNetTargets, FashionNetLossTerms>
{
    private readonly LandmarkRegressionLoss landmarkLoss = new();
    private readonly VisibilityLoss visibilityLoss = new();
    private readonly MaskedCrossEntropyLoss categoryLoss = new();
    private readonly MaskedCrossEntropyLoss itemLoss = new();
    private readonly WeightedAttributeLoss attributeLoss;
    private readonly BatchHardMiner miner = new();
    private readonly TripletMarginLoss tripletLoss;
    private FashionNetLossWeights weights;

    /// <summary>Creates the objective.</summary>
    /// <param name="attributeLoss">The attribute term with its per-attribute weights (see <see cref="AttributeWeights"/>); owned by this module.</param>
    /// <param name="weights">Term weights; null for <see cref="FashionNetLossWeights.Stage2"/> (all 1).</param>
    /// <param name="tripletMargin">Margin of the triplet loss on the L2-normalized embedding.</param>
    public FashionNetLoss(WeightedAttributeLoss attributeLoss, FashionNetLossWeights? weights = null, double tripletMargin = 0.2)
        : base(nameof(FashionNetLoss))
    {
        ArgumentNullException.ThrowIfNull(attributeLoss);
        this.attributeLoss = attributeLoss;
        this.weights = FashionNetLossWeights.Stage2;
        Weights = weights ?? FashionNetLossWeights.Stage2;
        tripletLoss = new TripletMarginLoss(tripletMargin);
        RegisterComponents();
    }

    /// <summary>The term weights; set it to switch training stage.</summary>
    public FashionNetLossWeights Weights
    {
        get => weights;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate(nameof(value));
            weights = value;
        }
    }

    /// <inheritdoc />
    public override FashionNetLossTerms forward(FashionNetOutput output, FashionNetTargets targets)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(targets);
        if ((targets.Landmarks is null) != (targets.LandmarkVisibility is null))
            throw new ArgumentException("Landmarks and LandmarkVisibility must be given together.", nameof(targets));

        using var scope = NewDisposeScope();
        Tensor landmarks = MaskedMean.ZeroFrom(output.Landmarks), visibility = MaskedMean.ZeroFrom(output.VisibilityLogits);
        if (targets.Landmarks is not null && targets.LandmarkVisibility is not null)
        {
            var annotated = targets.HasLandmarks is null
                ? ones_like(targets.LandmarkVisibility, ScalarType.Bool)
                : targets.HasLandmarks.ne(0).unsqueeze(1).expand_as(targets.LandmarkVisibility);
            landmarks = landmarkLoss.forward(output.Landmarks, targets.Landmarks, targets.LandmarkVisibility.ne(0).logical_and(annotated));
            visibility = visibilityLoss.forward(output.VisibilityLogits, targets.LandmarkVisibility, annotated);
        }
        var category = targets.Categories is null ? MaskedMean.ZeroFrom(output.CategoryLogits) : categoryLoss.forward(output.CategoryLogits, targets.Categories);
        var attributes = targets.Attributes is null
            ? MaskedMean.ZeroFrom(output.AttributeLogits)
            : attributeLoss.forward(output.AttributeLogits, targets.Attributes, targets.AttributeMask);
        var triplet = MaskedMean.ZeroFrom(output.Embedding);
        var item = MaskedMean.ZeroFrom(output.Embedding);
        if (targets.Items is not null)
        {
            using var triplets = miner.forward(output.Embedding, targets.Items);
            triplet = tripletLoss.forward(output.Embedding, triplets);
            if (output.ItemLogits is not null) item = itemLoss.forward(output.ItemLogits, targets.Items);
        }

        var total = landmarks * weights.Landmarks + visibility * weights.Visibility + category * weights.Category
            + attributes * weights.Attributes + triplet * weights.Triplet + item * weights.Item;
        var terms = new FashionNetLossTerms(total, landmarks, visibility, category, attributes, triplet, item);
        foreach (var tensor in new[] { terms.Total, terms.Landmarks, terms.Visibility, terms.Category, terms.Attributes, terms.Triplet, terms.Item })
            tensor.MoveToOuterDisposeScope();
        return terms;
    }
}
