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
        if (features.dim() != 2 || features.shape[0] == 0)
            throw new ArgumentException($"Expected features [images, units] of at least one image, got [{string.Join(", ", features.shape)}].", nameof(features));
        using var scope = NewDisposeScope();
        var active = features.gt(0);
        return new FeatureActivity((int)features.shape[1], active.sum(1).to(ScalarType.Float64).mean().item<double>(),
            (int)active.any(0).logical_not().sum().item<long>());
    }
}

/// <summary>The activity of a FashionNet's global and local features on the evaluated images.</summary>
/// <param name="Global">The global branch's feature.</param>
/// <param name="Local">The local branch's feature; null for a model without one.</param>
public sealed record BranchActivity(FeatureActivity Global, FeatureActivity? Local);
