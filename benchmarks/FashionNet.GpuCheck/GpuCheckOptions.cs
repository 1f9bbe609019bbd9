namespace FashionNet.GpuCheck;

/// <summary>Command-line options of the GPU check.</summary>
internal sealed record GpuCheckOptions(string OutputDirectory, int[] BatchSizes, int Iterations, int Warmup)
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        FashionNet.GpuCheck [--out DIR] [--batches 32,256] [--iterations 100] [--warmup 10] [--quick]
          Runs the ILGPU and native CUDA kernels on device buffers in the primary context of CUDA device 0, checks them
          against the ILGPU kernels on ILGPU's CPU accelerator (pooling and gradients bit-exact, loss 1e-5 relative),
          times forward + backward with CUDA events, and writes results.json, the PTX and the N=32 tensors to DIR.
          --quick: N=2, one iteration (for compute-sanitizer).
        """;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static GpuCheckOptions Parse(string[] args)
    {
        var options = new GpuCheckOptions("gpu-check-results", [32, 256], 100, 10);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--out" => options with { OutputDirectory = Value() },
                "--batches" => options with { BatchSizes = Value().Split(',').Select(int.Parse).ToArray() },
                "--iterations" => options with { Iterations = int.Parse(Value()) },
                "--warmup" => options with { Warmup = int.Parse(Value()) },
                "--quick" => options with { BatchSizes = [2], Iterations = 1, Warmup = 0 },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }
        return options;
    }
}
