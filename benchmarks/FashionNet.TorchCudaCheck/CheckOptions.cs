using FashionNet.Diagnostics;
using TorchSharp;

namespace FashionNet.TorchCudaCheck;

/// <summary>The command line of the check.</summary>
internal sealed record CheckOptions
{
    public const string Usage =
        "usage: FashionNet.TorchCudaCheck [--device cuda|cuda:N|cpu] [--out DIR] [--iterations N] [--step-batch N] [--image-size PX]";

    /// <summary>Where the checks run; CUDA by default, the CPU for a rehearsal on a machine without a GPU.</summary>
    public torch.Device Device { get; init; } = new(DeviceType.CUDA, 0);

    /// <summary>Folder for <c>results.json</c>.</summary>
    public string OutputDirectory { get; init; } = "torch-cuda-check";

    /// <summary>Timed iterations per measurement (after a tenth as many, at least 3, untimed).</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Images in the training-step batch.</summary>
    public int StepBatch { get; init; } = 32;

    /// <summary>Network input size of the training step and the embedding throughput.</summary>
    public int ImageSize { get; init; } = 224;

    public bool IsCuda => Device.type == DeviceType.CUDA;

    public static CheckOptions Parse(string[] args)
    {
        var options = new CheckOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Positive() => int.TryParse(Value(), out int n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} needs a positive integer, got '{args[i]}'.");
            options = args[i] switch
            {
                "--device" => options with { Device = ComputeDevice.Parse(Value()) },
                "--out" => options with { OutputDirectory = Value() },
                "--iterations" => options with { Iterations = Positive() },
                "--step-batch" => options with { StepBatch = Positive() },
                "--image-size" => options with { ImageSize = Positive() },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }
        return options;
    }

    /// <summary>Untimed iterations before a measurement.</summary>
    public int Warmup => Math.Max(3, Iterations / 10);
}
