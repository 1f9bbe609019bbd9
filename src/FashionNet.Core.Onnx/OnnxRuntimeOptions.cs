namespace FashionNet.Inference.Onnx;

/// <summary>How ONNX Runtime runs the exported networks (on the CPU).</summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>The defaults.</summary>
    public static OnnxRuntimeOptions Default { get; } = new();

    /// <summary>ONNX Runtime's intra-op threads (default: the machine's logical cores, as many as LibTorch uses by default).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Whether waiting threads spin (ONNX Runtime's own default) instead of sleeping. Off by default, as the library
    /// sets LibTorch's OpenMP threads (<see cref="Diagnostics.TorchThreading.PreferPassiveWaiting"/>): on a machine shared
    /// with other work, spinning threads take cores that work needs.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1, nameof(Threads));
}
