using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>
/// How many units of a branch's ReLU feature fire on the evaluated images. A unit that fires on no image passes
/// nothing on, and a feature with few units firing per image moves the embedding little, whatever the fusion's weights.
/// </summary>
/// <param name="Units">Units of the feature.</param>
/// <param name="ActivePerImage">Units above 0 per image, on average.</param>
/// <param name="NeverActive">Units at 0 on every evaluated image.</param>
public sealed record FeatureActivity(int Units, double ActivePerImage, int NeverActive)
{
    /// <summary>Counts the activity of <paramref name="features"/> <c>[images, units]</c>.</summary>
    /// <exception cref="ArgumentException">The tensor is not 2-D or holds no image.</exception>
    public static FeatureActivity Of(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var counter = new FeatureActivityCounter();
        counter.Add(features);
        return counter.Result() ?? throw NotFeatures(features);
    }

    internal static ArgumentException NotFeatures(Tensor features) =>
        new($"Expected features [images, units] of at least one image, got [{string.Join(", ", features.shape)}].", nameof(features));
}

/// <summary>
/// Counts a <see cref="FeatureActivity"/> batch by batch, keeping only a running count and one flag per unit, so an
/// evaluation need not hold every image's features.
/// </summary>
internal sealed class FeatureActivityCounter
{
    private bool[]? _everActive;
    private long _active;
    private long _images;

    /// <summary>Adds one batch of features <c>[images, units]</c>; every batch must have the same units.</summary>
    /// <exception cref="ArgumentException">The tensor is not 2-D, or its units differ from the earlier batches'.</exception>
    public void Add(Tensor features)
    {
        if (features.dim() != 2 || (_everActive is not null && features.shape[1] != _everActive.Length))
            throw FeatureActivity.NotFeatures(features);
        using var scope = NewDisposeScope();
        var active = features.gt(0);
        bool[] firing = active.any(0).cpu().data<bool>().ToArray();
        _everActive ??= new bool[firing.Length];
        for (int unit = 0; unit < firing.Length; unit++) _everActive[unit] |= firing[unit];
        _active += active.sum().item<long>();
        _images += features.shape[0];
    }

    /// <summary>The activity over every image added, or null when none was.</summary>
    public FeatureActivity? Result() => _images == 0 || _everActive is null
        ? null
        : new FeatureActivity(_everActive.Length, _active / (double)_images, _everActive.Count(firing => !firing));
}

/// <summary>The activity of a FashionNet's global and local features on the evaluated images.</summary>
/// <param name="Global">The global branch's feature.</param>
/// <param name="Local">The local branch's feature; null for a model without one.</param>
public sealed record BranchActivity(FeatureActivity Global, FeatureActivity? Local);
