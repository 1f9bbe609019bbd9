using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels;

/// <summary>
/// FashionNet's landmark pooling layer: for every landmark, max-pools a K x K window of the feature map around it
/// into P x P bins. Gradients reach the feature map only.
/// </summary>
/// <remarks>
/// <para>Exact semantics, shared by every <see cref="KernelBackend"/>:</para>
/// <list type="number">
/// <item>A landmark (x, y) in normalized image coordinates (x / image width, y / image height: 0..1 inside the image,
/// the form the pose branch predicts) maps to the feature cell <c>cx = floor(x * W)</c>, <c>cy = floor(y * H)</c>, the
/// product evaluated in float64 from the float32 coordinate (exactly). The cell may lie outside the map (a landmark
/// beyond the image border).</item>
/// <item>Its window is the K x K block of cells centred on that cell, rows <c>cy - K/2 .. cy + K/2</c> and columns
/// <c>cx - K/2 .. cx + K/2</c>, taken unclipped, like an RoI that may extend beyond the map.</item>
/// <item>The window is split into P x P bins with torchvision RoIPool's rule in exact integer arithmetic: bin p covers
/// window rows (and columns) <c>floor(p * K / P)</c> up to, not including, <c>ceil((p + 1) * K / P)</c>. Bins may
/// overlap when P does not divide K, and are never empty before clipping.</item>
/// <item>Each bin is then intersected with the map and max-pooled over the cells left. A bin with no cell inside the map
/// outputs 0, as does every bin of an invisible landmark; neither receives gradient. A window larger than the map
/// simply covers all of it.</item>
/// <item>On ties the first maximum in row-major order wins (a strict <c>&gt;</c> scan). Backward adds each output
/// gradient to that argmax cell, summing where windows overlap. Landmarks and visibility get no gradient.</item>
/// </list>
/// <para>Output <c>[N, L, C, P, P]</c>. Features should be finite: with NaN the argmax is unspecified.</para>
/// </remarks>
public sealed class LandmarkPooling : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly LandmarkPoolingOptions _options;

    /// <summary>Creates the layer.</summary>
    /// <param name="options">Window size K, bins P and backend.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public LandmarkPooling(LandmarkPoolingOptions options) : base(nameof(LandmarkPooling))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        _options = options;
    }

    /// <summary>The layer's settings.</summary>
    public LandmarkPoolingOptions Options => _options;

    /// <summary>Pools the features around each landmark; see <see cref="KernelFunctional.LandmarkPool"/> for the argument contract.</summary>
    /// <param name="features">Feature map <c>[N, C, H, W]</c>.</param>
    /// <param name="landmarks">Landmarks <c>[N, L, 2]</c> as normalized (x, y).</param>
    /// <param name="visibility">Visibility <c>[N, L]</c>, nonzero = visible.</param>
    /// <returns>Pooled features <c>[N, L, C, P, P]</c>.</returns>
    public override Tensor forward(Tensor features, Tensor landmarks, Tensor visibility) =>
        KernelFunctional.LandmarkPool(features, landmarks, visibility, _options);
}
