using FashionNet.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.TorchCudaCheck;

/// <summary>
/// Landmark pooling and the weighted attribute loss through the public functional API, so through TorchSharp autograd
/// (custom functions), on tensors of the checked device: every backend against the tensor reference on the same
/// device, and against the CPU kernel on copies of the same inputs. Then forward + backward timings.
/// </summary>
internal static class OperatorChecks
{
    /// <summary>Pooling shapes: two small ones with odd sizes, a wider window and bins, and the benchmark shape (C=512, 28 x 28).</summary>
    private static readonly PoolingShape[] ParityShapes = [new(3, 5, 9, 7, 3, 1), new(2, 4, 6, 6, 5, 2), new(32, 512, 28, 28, 3, 1)];

    private const int Attributes = 1000;

    public static void Run(CheckOptions options, IReadOnlyList<KernelBackend> backends, CheckReport report)
    {
        Console.WriteLine("Operators through TorchSharp autograd:");
        foreach (var shape in ParityShapes)
            CheckPooling(options.Device, shape, backends, report);
        foreach (var reduction in new[] { LossReduction.Mean, LossReduction.None })
            CheckLoss(options.Device, 32, reduction, backends, report);

        // Forward checks that the landmarks are finite: on CUDA tensors a device-to-host copy that waits for the device.
        double check = TimeFiniteCheck(options);
        Console.WriteLine($"The finite-landmark check of forward alone: {check * 1000:F1} us per call");
        report.Set("finite_landmark_check_us", check * 1000);

        Console.WriteLine("Forward + backward, ms per call (autograd included):");
        int[] batches = options.IsCuda ? [32, 256] : [8];
        foreach (int batch in batches)
        {
            var shape = new PoolingShape(batch, 512, 28, 28, 3, 1);
            foreach (var backend in backends.Prepend(KernelBackend.Reference))
            {
                double pooling = TimePooling(options, shape, backend, backward: true), forward = TimePooling(options, shape, backend, backward: false);
                double loss = TimeLoss(options, batch, backend);
                Console.WriteLine($"  N={batch,-4} {backend,-10} pooling {pooling,9:F3} ms (forward alone {forward,7:F3} ms)   loss {loss,9:F3} ms");
                report.AddRow("operator_timings", new()
                {
                    ["backend"] = backend.ToString(), ["batch"] = batch, ["pooling_forward_backward_ms"] = pooling, ["pooling_forward_ms"] = forward,
                    ["loss_forward_backward_ms"] = loss, ["iterations"] = options.Iterations,
                });
            }
        }
    }

    private readonly record struct PoolingShape(int Batch, int Channels, int Height, int Width, int Window, int Bins)
    {
        public override string ToString() => $"N={Batch} C={Channels} {Height}x{Width} K={Window} P={Bins}";
    }

    /// <summary>
    /// Inputs from a CPU generator (the same on every device): landmarks partly outside the image and a quarter of them
    /// exactly on cell boundaries, a fifth invisible, and small-integer output gradients so that gradient sums are exact
    /// in any order and the gradients can be compared bit for bit.
    /// </summary>
    private static (Tensor Features, Tensor Landmarks, Tensor Visibility, Tensor GradOutput) PoolingInputs(PoolingShape s, int seed)
    {
        var generator = new Generator((ulong)seed);
        var features = randn([s.Batch, s.Channels, s.Height, s.Width], generator: generator);
        var landmarks = rand([s.Batch, 8, 2], generator: generator) * 1.2f - 0.1f;
        var onBoundary = (arange(s.Batch * 8).reshape(s.Batch, 8, 1) % 4 == 0).expand(s.Batch, 8, 2);
        landmarks = where(onBoundary, (landmarks * s.Width).round() / s.Width, landmarks);
        var visibility = (rand([s.Batch, 8], generator: generator) < 0.8f).to(float32);
        int p = s.Bins;
        var gradOutput = randint(-3, 4, [s.Batch, 8, s.Channels, p, p], generator: generator).to(float32);
        return (features, landmarks, visibility, gradOutput);
    }

    private static (Tensor Output, Tensor Gradient) Pool(Tensor features, Tensor landmarks, Tensor visibility, Tensor gradOutput, int window, int bins,
        KernelBackend backend)
    {
        var leaf = features.detach().requires_grad_(true);
        var output = KernelFunctional.LandmarkPool(leaf, landmarks, visibility, new LandmarkPoolingOptions { WindowSize = window, Bins = bins, Backend = backend });
        output.backward([gradOutput]);
        return (output.detach(), GradientOf(leaf));
    }

    private static void CheckPooling(Device device, PoolingShape shape, IReadOnlyList<KernelBackend> backends, CheckReport report)
    {
        using var scope = NewDisposeScope();
        var (features, landmarks, visibility, gradOutput) = PoolingInputs(shape, seed: 16 + shape.Batch);
        var cpu = Pool(features, landmarks, visibility, gradOutput, shape.Window, shape.Bins, KernelBackend.Cpu);
        var (f, l, v, g) = (features.to(device), landmarks.to(device), visibility.to(device), gradOutput.to(device));
        var reference = Pool(f, l, v, g, shape.Window, shape.Bins, KernelBackend.Reference);
        foreach (var backend in backends)
        {
            var result = Pool(f, l, v, g, shape.Window, shape.Bins, backend);
            bool exact = Same(result.Output, reference.Output) && Same(result.Gradient, reference.Gradient);
            bool cpuExact = Same(result.Output.cpu(), cpu.Output) && Same(result.Gradient.cpu(), cpu.Gradient);
            report.Check($"pooling {shape} {backend}", exact && cpuExact,
                $"vs reference on {device}: output max |diff| {MaxAbsDiff(result.Output, reference.Output):G3}, gradient {MaxAbsDiff(result.Gradient, reference.Gradient):G3}; " +
                $"vs CPU kernel: output {MaxAbsDiff(result.Output.cpu(), cpu.Output):G3}, gradient {MaxAbsDiff(result.Gradient.cpu(), cpu.Gradient):G3} (bit-exact required)");
            report.AddRow("pooling_parity", new()
            {
                ["shape"] = shape.ToString(), ["backend"] = backend.ToString(), ["bit_exact_vs_reference"] = exact, ["bit_exact_vs_cpu_kernel"] = cpuExact,
            });
        }
    }

    private static (Tensor Logits, Tensor Targets, Tensor Mask, Tensor Positive, Tensor Negative, Tensor Grad) LossInputs(int batch, int seed)
    {
        var generator = new Generator((ulong)seed);
        var logits = randn([batch, Attributes], generator: generator) * 10f;
        var extreme = rand([batch, Attributes], generator: generator) < 0.01f;
        logits = where(extreme, logits.sign() * 1e4f, logits);
        var targets = (rand([batch, Attributes], generator: generator) < 0.2f).to(float32);
        var mask = (rand([batch, Attributes], generator: generator) < 0.9f).to(float32);
        var positive = rand([Attributes], generator: generator) * 19.5f + 0.5f;
        var negative = rand([Attributes], generator: generator) + 0.5f;
        var grad = randn([batch, Attributes], generator: generator);
        return (logits, targets, mask, positive, negative, grad);
    }

    private static (Tensor Loss, Tensor Gradient) Loss(Tensor logits, Tensor targets, Tensor mask, Tensor positive, Tensor negative, Tensor grad,
        LossReduction reduction, KernelBackend backend)
    {
        var leaf = logits.detach().requires_grad_(true);
        var loss = KernelFunctional.WeightedAttributeLoss(leaf, targets, mask, positive, negative,
            new WeightedAttributeLossOptions { Reduction = reduction, Backend = backend });
        loss.backward(reduction == LossReduction.None ? [grad] : null);
        return (loss.detach(), GradientOf(leaf));
    }

    private static void CheckLoss(Device device, int batch, LossReduction reduction, IReadOnlyList<KernelBackend> backends, CheckReport report)
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative, grad) = LossInputs(batch, seed: 1000 + batch);
        var cpu = Loss(logits, targets, mask, positive, negative, grad, reduction, KernelBackend.Cpu);
        var inputs = (logits.to(device), targets.to(device), mask.to(device), positive.to(device), negative.to(device), grad.to(device));
        var reference = Loss(inputs.Item1, inputs.Item2, inputs.Item3, inputs.Item4, inputs.Item5, inputs.Item6, reduction, KernelBackend.Reference);
        foreach (var backend in backends)
        {
            var result = Loss(inputs.Item1, inputs.Item2, inputs.Item3, inputs.Item4, inputs.Item5, inputs.Item6, reduction, backend);
            double lossError = RelativeError(result.Loss, reference.Loss), gradientError = RelativeError(result.Gradient, reference.Gradient);
            double cpuLossError = RelativeError(result.Loss.cpu(), cpu.Loss), cpuGradientError = RelativeError(result.Gradient.cpu(), cpu.Gradient);
            double worst = new[] { lossError, gradientError, cpuLossError, cpuGradientError }.Max();
            report.Check($"attribute loss N={batch} A={Attributes} {reduction} {backend}", worst <= 1e-5,
                $"relative error vs reference on {device}: loss {lossError:G3}, gradient {gradientError:G3}; vs CPU kernel: loss {cpuLossError:G3}, gradient {cpuGradientError:G3} (at most 1e-5)");
            report.AddRow("loss_parity", new()
            {
                ["reduction"] = reduction.ToString(), ["backend"] = backend.ToString(), ["loss_relative_error"] = lossError,
                ["gradient_relative_error"] = gradientError, ["cpu_kernel_loss_relative_error"] = cpuLossError, ["cpu_kernel_gradient_relative_error"] = cpuGradientError,
            });
        }
    }

    private static double TimePooling(CheckOptions options, PoolingShape shape, KernelBackend backend, bool backward)
    {
        using var scope = NewDisposeScope();
        var (features, landmarks, visibility, gradOutput) = PoolingInputs(shape, seed: 7);
        var (f, l, v, g) = (features.to(options.Device), landmarks.to(options.Device), visibility.to(options.Device), gradOutput.to(options.Device));
        var pooling = new LandmarkPoolingOptions { WindowSize = shape.Window, Bins = shape.Bins, Backend = backend };
        return DeviceTiming.MillisecondsPer(options.Device, options.Warmup, options.Iterations, backward
            ? () => Pool(f, l, v, g, shape.Window, shape.Bins, backend)
            : () => KernelFunctional.LandmarkPool(f, l, v, pooling));
    }

    private static double TimeFiniteCheck(CheckOptions options)
    {
        using var scope = NewDisposeScope();
        var landmarks = PoolingInputs(new PoolingShape(32, 1, 28, 28, 3, 1), seed: 9).Landmarks.to(options.Device);
        return DeviceTiming.MillisecondsPer(options.Device, options.Warmup, options.Iterations, () => landmarks.isfinite().all().item<bool>());
    }

    private static double TimeLoss(CheckOptions options, int batch, KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative, grad) = LossInputs(batch, seed: 8);
        var d = options.Device;
        var (x, t, m, pw, nw, gr) = (logits.to(d), targets.to(d), mask.to(d), positive.to(d), negative.to(d), grad.to(d));
        return DeviceTiming.MillisecondsPer(d, options.Warmup, options.Iterations, () => Loss(x, t, m, pw, nw, gr, LossReduction.Mean, backend));
    }

    /// <summary>
    /// The leaf's gradient as a tensor of the dispose scope. TorchSharp's <c>grad</c> wrapper is not in the scope: left
    /// to the finalizer, it kept every iteration's gradient alive and ran the GPU out of memory in the timing loops.
    /// </summary>
    private static Tensor GradientOf(Tensor leaf)
    {
        using var gradient = leaf.grad ?? throw new InvalidOperationException("The backward pass gave this input no gradient.");
        return gradient.detach();
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static double MaxAbsDiff(Tensor a, Tensor b) => a.numel() == 0 ? 0 : (a - b).abs().max().item<float>();

    /// <summary>Largest absolute difference over the largest magnitude of the expected values.</summary>
    private static double RelativeError(Tensor actual, Tensor expected)
    {
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-30);
        return MaxAbsDiff(actual, expected) / scale;
    }
}
