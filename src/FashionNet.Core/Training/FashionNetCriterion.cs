using FashionNet.Data.Loading;
using FashionNet.Kernels;
using FashionNet.Model;
using static TorchSharp.torch;

namespace FashionNet.Training;

/// <summary>The loss of one batch: the weighted total and each term, for logging.</summary>
/// <param name="Total">The weighted sum of the terms computed (a scalar that backpropagates).</param>
/// <param name="Terms">Each term computed, unweighted, by name.</param>
public sealed record BatchLoss(Tensor Total, IReadOnlyDictionary<string, Tensor> Terms);

/// <summary>
/// FashionNet's training objective: a list of named <see cref="ILossTerm"/>s, weighted per stage by name (the way
/// pytorch-metric-learning composes losses). A term runs only when its weight is above 0; a term whose labels the batch
/// lacks gives nothing, and samples without its labels are masked inside it. Weights naming a term the criterion does
/// not have, or a negative weight, are rejected with the name.
/// </summary>
public sealed class FashionNetCriterion : IDisposable
{
    private readonly ILossTerm[] _terms;

    /// <summary>Composes a criterion from terms, which it takes ownership of (and disposes).</summary>
    /// <param name="terms">The terms; names must be distinct.</param>
    /// <exception cref="ArgumentException">Two terms share a name.</exception>
    public FashionNetCriterion(IEnumerable<ILossTerm> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        _terms = [.. terms];
        var duplicate = _terms.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two loss terms are named '{duplicate.Key}'.", nameof(terms));
    }

    /// <summary>The default temperature of the item term (<see cref="LossTermNames.Items"/>), Zhai and Wu's 0.05.</summary>
    public const double DefaultItemTemperature = 0.05;

    /// <summary>
    /// The paper's objective: landmark L2, visibility, category, attributes (when the training data has attribute
    /// labels) and batch-hard triplet, named as in <see cref="LossTermNames"/>; then the triplet term on the global
    /// feature alone and the normalized-softmax item term, each computed only where a stage weights it.
    /// </summary>
    /// <param name="tripletMargin">Margin of the triplet loss.</param>
    /// <param name="attributeWeights">Per-attribute w_pos / w_neg from the training set, or null when it has no attributes.</param>
    /// <param name="device">The device of the model the criterion scores (where its weight tensors live); the CPU when null.</param>
    /// <param name="itemTemperature">Temperature of the item term, above 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="itemTemperature"/> is not a positive number.</exception>
    public static FashionNetCriterion Standard(double tripletMargin, AttributeWeights? attributeWeights, Device? device = null,
        double itemTemperature = DefaultItemTemperature)
    {
        if (!(itemTemperature > 0) || !double.IsFinite(itemTemperature))
            throw new ArgumentOutOfRangeException(nameof(itemTemperature), itemTemperature, "The item temperature must be a positive number.");
        var terms = new List<ILossTerm> { new LandmarkTerm(), new VisibilityTerm(), new CategoryTerm() };
        if (attributeWeights is not null && attributeWeights.Positive.Count > 0) terms.Add(new AttributeTerm(attributeWeights, device));
        terms.Add(TripletTerm.OnEmbedding(tripletMargin));
        terms.Add(TripletTerm.OnGlobalFeature(tripletMargin));
        terms.Add(new ItemTerm(itemTemperature));
        return new FashionNetCriterion(terms);
    }

    /// <summary>The terms' names, in computation order.</summary>
    public IReadOnlyList<string> TermNames => [.. _terms.Select(t => t.Name)];

    /// <summary>
    /// Checks a stage's weights against this criterion: every name must be a term, every weight finite and not negative.
    /// Weights the criterion has no term for are an error, except the standard names (a dataset without attribute labels
    /// gives a criterion without the attribute term, and a config may still weight it).
    /// </summary>
    /// <param name="weights">Weights by term name.</param>
    /// <param name="source">Where the weights come from, for the message (e.g. <c>stage2.lossWeights</c>).</param>
    /// <exception cref="ArgumentException">A name is unknown or a weight invalid; the message names it.</exception>
    public void ValidateWeights(IReadOnlyDictionary<string, double> weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (name, weight) in weights)
        {
            if (!_terms.Any(t => t.Name == name) && !LossTermNames.All.Contains(name))
                throw new ArgumentException($"{source}: unknown loss term '{name}'; the terms are {string.Join(", ", TermNames)}.", nameof(weights));
            if (!(weight >= 0) || !double.IsFinite(weight))
                throw new ArgumentException($"{source}: the weight of '{name}' must be finite and not negative, got {weight}.", nameof(weights));
        }
    }

    /// <summary>Computes the loss of <paramref name="output"/> on <paramref name="batch"/>, in the caller's dispose scope.</summary>
    /// <param name="output">The model's output for the batch's images.</param>
    /// <param name="batch">The batch with its labels.</param>
    /// <param name="weights">This stage's weights by term name; a term not named has weight 0 and is not computed.</param>
    /// <exception cref="ArgumentException">A weight names an unknown term or is invalid.</exception>
    public BatchLoss Compute(FashionNetOutput output, FashionBatch batch, IReadOnlyDictionary<string, double> weights)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(batch);
        ValidateWeights(weights, "loss weights");

        var terms = new Dictionary<string, Tensor>();
        var weighted = new List<Tensor>();
        foreach (var term in _terms)
        {
            double weight = weights.GetValueOrDefault(term.Name);
            if (weight <= 0) continue;
            if (term.Compute(output, batch) is not { } value) continue;
            terms[term.Name] = value;
            weighted.Add(value * weight);
        }
        var total = weighted.Count > 0 ? stack(weighted).sum() : output.Embedding.sum() * 0;
        return new BatchLoss(total, terms);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var term in _terms) term.Dispose();
    }
}
