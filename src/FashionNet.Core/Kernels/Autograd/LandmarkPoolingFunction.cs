using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels.Autograd;

/// <summary>
/// Wires an <see cref="ILandmarkPoolingKernel"/> into autograd. Forward receives validated, contiguous tensors and
/// keeps the argmax for backward; backward only allocates and calls the kernel, so it cannot throw for valid state.
/// Gradient flows to the features only, never to landmarks or visibility.
/// </summary>
internal sealed class LandmarkPoolingFunction : autograd.SingleTensorFunction<LandmarkPoolingFunction>
{
    private const string GeometryKey = "geometry";
    private const string KernelKey = "kernel";

    public override string Name => nameof(LandmarkPoolingFunction);

    /// <summary>Runs the kernel under autograd: (features, landmarks, visibility, geometry, kernel).</summary>
    public static Tensor Apply(Tensor features, Tensor landmarks, Tensor visibility, LandmarkPoolingGeometry geometry, ILandmarkPoolingKernel kernel) =>
        apply(features, landmarks, visibility, geometry, kernel);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (features, landmarks, visibility) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        var geometry = (LandmarkPoolingGeometry)vars[3];
        var kernel = (ILandmarkPoolingKernel)vars[4];

        long[] shape = [geometry.Batch, geometry.Landmarks, geometry.Channels, geometry.Bins, geometry.Bins];
        var output = empty(shape, ScalarType.Float32, features.device);
        var argmax = empty(shape, ScalarType.Int32, features.device);
        kernel.Forward(features, landmarks, visibility, geometry, output, argmax);

        ctx.save_for_backward([argmax]);
        ctx.save_data(GeometryKey, geometry);
        ctx.save_data(KernelKey, kernel);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        BackwardResults.ReleasePrevious();
        var argmax = ctx.get_saved_variables()[0];
        var geometry = (LandmarkPoolingGeometry)ctx.get_data(GeometryKey);
        var kernel = (ILandmarkPoolingKernel)ctx.get_data(KernelKey);

        long[] featureShape = [geometry.Batch, geometry.Channels, geometry.Height, geometry.Width];
        var gradFeatures = kernel.BackwardWritesWholeGradient
            ? empty(featureShape, ScalarType.Float32, argmax.device)
            : zeros(featureShape, ScalarType.Float32, argmax.device);
        // The incoming gradient may be a broadcast view (e.g. from sum()); the kernel reads dense float32 memory.
        using var asFloat = grad_output.to(ScalarType.Float32);
        using var gradOutput = asFloat.contiguous();
        kernel.Backward(gradOutput, argmax, geometry, gradFeatures);
        argmax.Dispose();
        grad_output.Dispose();
        return [BackwardResults.HandOver(gradFeatures), null!, null!, null!, null!];
    }
}
