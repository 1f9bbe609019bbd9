namespace FashionNet.Kernels;

/// <summary>Settings of <see cref="WeightedAttributeLoss"/> and <see cref="KernelFunctional.WeightedAttributeLoss"/>.</summary>
public sealed class WeightedAttributeLossOptions
{
    /// <summary>How the per-entry losses are reduced; the mean over labelled entries by default.</summary>
    public LossReduction Reduction { get; init; } = LossReduction.Mean;

    /// <summary>Which implementation runs; <see cref="KernelBackend.Auto"/> picks by the tensors' device.</summary>
    public KernelBackend Backend { get; init; } = KernelBackend.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    internal void Validate(string parameterName)
    {
        if (!Enum.IsDefined(Reduction))
        {
            throw new ArgumentException($"{nameof(Reduction)} {(int)Reduction} is not a {nameof(LossReduction)}.", parameterName);
        }
        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentException($"{nameof(Backend)} {(int)Backend} is not a {nameof(KernelBackend)}.", parameterName);
        }
    }
}
