namespace FashionNet.Kernels;

/// <summary>Settings of <see cref="LandmarkPooling"/> and <see cref="KernelFunctional.LandmarkPool"/>.</summary>
public sealed class LandmarkPoolingOptions
{
    /// <summary>Side K of the square window around each landmark, in feature cells; odd and at least 1.</summary>
    public int WindowSize { get; init; } = 3;

    /// <summary>Number P of output bins along each side of the window; at least 1. The output holds P x P values per channel.</summary>
    public int Bins { get; init; } = 1;

    /// <summary>Which implementation runs; <see cref="KernelBackend.Auto"/> picks by the tensors' device.</summary>
    public KernelBackend Backend { get; init; } = KernelBackend.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    internal void Validate(string parameterName)
    {
        if (WindowSize < 1 || WindowSize % 2 == 0)
        {
            throw new ArgumentException($"{nameof(WindowSize)} must be odd and at least 1, got {WindowSize}.", parameterName);
        }
        if (Bins < 1)
        {
            throw new ArgumentException($"{nameof(Bins)} must be at least 1, got {Bins}.", parameterName);
        }
        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentException($"{nameof(Backend)} {(int)Backend} is not a {nameof(KernelBackend)}.", parameterName);
        }
    }
}
