using FashionNet.Kernels.Autograd;
using FashionNet.Kernels.Reference;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels;

/// <summary>
/// Functional forms of the library's custom operators. Each validates its inputs, picks the implementation
/// (<see cref="KernelBackend"/>), and runs it under autograd. Non-contiguous inputs are accepted: they are copied to
/// a contiguous layout before a kernel reads them.
/// </summary>
public static class KernelFunctional
{
    /// <summary>
    /// Landmark pooling: max-pools a window of the feature map around each landmark. See <see cref="LandmarkPooling"/>
    /// for the exact semantics.
    /// </summary>
    /// <param name="features">Feature map <c>[N, C, H, W]</c>, float32 (float64 is accepted by <see cref="KernelBackend.Reference"/> only).</param>
    /// <param name="landmarks">Landmark positions <c>[N, L, 2]</c> as (x, y) normalized by the input image's width and height (0..1 inside the image), floating point, finite; read as float32.</param>
    /// <param name="visibility">Visibility <c>[N, L]</c> of any numeric or bool dtype: nonzero means visible.</param>
    /// <param name="options">Window, bins and backend.</param>
    /// <returns>The pooled features <c>[N, L, C, P, P]</c> in the features' dtype; differentiable with respect to <paramref name="features"/>.</returns>
    /// <exception cref="ArgumentException">An input has the wrong shape, dtype or device, a landmark is not finite, or an option is invalid.</exception>
    /// <exception cref="NotSupportedException">The requested backend is not available for the tensors' device.</exception>
    public static Tensor LandmarkPool(Tensor features, Tensor landmarks, Tensor visibility, LandmarkPoolingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        var geometry = ValidateLandmarkPooling(features, landmarks, visibility, options);
        var kernel = KernelDispatch.LandmarkPooling(options.Backend, features.device);
        RequireFloat32IfKernel(kernel, features, nameof(features), options.Backend);

        using var scope = NewDisposeScope();
        var coordinates = Dense(landmarks, ScalarType.Float32);
        var visible = NonzeroAsOne(visibility, ScalarType.Float32);
        var pooled = kernel is null
            ? ReferenceLandmarkPooling.Forward(features, coordinates, visible, geometry)
            : LandmarkPoolingFunction.Apply(Dense(features, ScalarType.Float32), coordinates, visible, geometry, kernel);
        return scope.MoveToOuter(pooled);
    }

    /// <summary>
    /// Weighted binary cross-entropy over attributes:
    /// <c>-(w_pos * y * log sigmoid(x) + w_neg * (1 - y) * log(1 - sigmoid(x)))</c> per entry, computed in the stable
    /// softplus form (no overflow for any finite logit), 0 at unlabelled entries, then reduced.
    /// </summary>
    /// <param name="logits">Logits <c>[N, A]</c>, float32 (float64 is accepted by <see cref="KernelBackend.Reference"/> only).</param>
    /// <param name="targets">
    /// Targets <c>[N, A]</c> of any numeric or bool dtype, converted to the logits' dtype. They are read as
    /// probabilities: 0/1 labels are the intended use; values are not checked, since that would cost a pass over the
    /// data (and a device synchronisation on a GPU) per call.
    /// </param>
    /// <param name="mask">Optional <c>[N, A]</c> of any numeric or bool dtype: 0 marks an unlabelled entry, nonzero a labelled one. Null: all labelled.</param>
    /// <param name="positiveWeights">w_pos <c>[A]</c>, floating point (see <see cref="AttributeWeights"/>).</param>
    /// <param name="negativeWeights">w_neg <c>[A]</c>, floating point.</param>
    /// <param name="options">Reduction and backend; null for the defaults (mean over labelled entries, automatic backend).</param>
    /// <returns>A scalar for <see cref="LossReduction.Mean"/> and <see cref="LossReduction.Sum"/>, <c>[N, A]</c> for <see cref="LossReduction.None"/>; differentiable with respect to <paramref name="logits"/>.</returns>
    /// <exception cref="ArgumentException">An input has the wrong shape, dtype or device, or an option is invalid.</exception>
    /// <exception cref="NotSupportedException">The requested backend is not available for the tensors' device.</exception>
    public static Tensor WeightedAttributeLoss(Tensor logits, Tensor targets, Tensor? mask, Tensor positiveWeights, Tensor negativeWeights,
        WeightedAttributeLossOptions? options = null)
    {
        options ??= new WeightedAttributeLossOptions();
        options.Validate(nameof(options));
        ValidateWeightedAttributeLoss(logits, targets, mask, positiveWeights, negativeWeights);
        var kernel = KernelDispatch.WeightedAttributeLoss(options.Backend, logits.device);
        RequireFloat32IfKernel(kernel, logits, nameof(logits), options.Backend);

        using var scope = NewDisposeScope();
        var dtype = logits.dtype;
        var y = Dense(targets, dtype);
        var labelled = mask is null ? null : NonzeroAsOne(mask, dtype);
        var posWeight = Dense(positiveWeights, dtype);
        var negWeight = Dense(negativeWeights, dtype);
        var loss = kernel is null
            ? ReferenceWeightedAttributeLoss.Forward(logits, y, labelled, posWeight, negWeight, options.Reduction)
            : WeightedAttributeLossFunction.Apply(Dense(logits, dtype), y, labelled, posWeight, negWeight, options.Reduction, kernel);
        return scope.MoveToOuter(loss);
    }

    private static LandmarkPoolingGeometry ValidateLandmarkPooling(Tensor features, Tensor landmarks, Tensor visibility, LandmarkPoolingOptions options)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(landmarks);
        ArgumentNullException.ThrowIfNull(visibility);
        RequireShape(features.dim() == 4, features, nameof(features), "[N, C, H, W]");
        var (n, c, h, w) = (features.shape[0], features.shape[1], features.shape[2], features.shape[3]);
        RequireFloatingPoint(features, nameof(features));
        if (h < 1 || w < 1 || h * w > int.MaxValue || n > int.MaxValue || c > int.MaxValue)
        {
            throw new ArgumentException($"The feature map must be at least 1 x 1 and at most {int.MaxValue} cells per plane, got {Shape(features)}.", nameof(features));
        }
        RequireShape(landmarks.dim() == 3 && landmarks.shape[0] == n && landmarks.shape[2] == 2 && landmarks.shape[1] <= int.MaxValue,
            landmarks, nameof(landmarks), $"[N, L, 2] with N = {n}");
        var l = landmarks.shape[1];
        RequireFloatingPoint(landmarks, nameof(landmarks));
        RequireShape(visibility.dim() == 2 && visibility.shape[0] == n && visibility.shape[1] == l, visibility, nameof(visibility), $"[N, L] = [{n}, {l}]");
        RequireSameDevice(features, landmarks, nameof(landmarks));
        RequireSameDevice(features, visibility, nameof(visibility));
        using (var finite = landmarks.isfinite().all())
        {
            if (!finite.item<bool>())
            {
                throw new ArgumentException("Every landmark coordinate must be finite (mark missing landmarks invisible instead).", nameof(landmarks));
            }
        }
        return new LandmarkPoolingGeometry((int)n, (int)c, (int)h, (int)w, (int)l, options.WindowSize, options.Bins);
    }

    private static void ValidateWeightedAttributeLoss(Tensor logits, Tensor targets, Tensor? mask, Tensor positiveWeights, Tensor negativeWeights)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(positiveWeights);
        ArgumentNullException.ThrowIfNull(negativeWeights);
        RequireShape(logits.dim() == 2, logits, nameof(logits), "[N, A]");
        RequireFloatingPoint(logits, nameof(logits));
        var (n, a) = (logits.shape[0], logits.shape[1]);
        RequireShape(targets.dim() == 2 && targets.shape[0] == n && targets.shape[1] == a, targets, nameof(targets), $"[{n}, {a}]");
        RequireSameDevice(logits, targets, nameof(targets));
        if (mask is not null)
        {
            RequireShape(mask.dim() == 2 && mask.shape[0] == n && mask.shape[1] == a, mask, nameof(mask), $"[{n}, {a}]");
            RequireSameDevice(logits, mask, nameof(mask));
        }
        RequireWeights(positiveWeights, nameof(positiveWeights));
        RequireWeights(negativeWeights, nameof(negativeWeights));

        void RequireWeights(Tensor weights, string name)
        {
            RequireShape(weights.dim() == 1 && weights.shape[0] == a, weights, name, $"[{a}]");
            RequireFloatingPoint(weights, name);
            RequireSameDevice(logits, weights, name);
        }
    }

    /// <summary>The tensor itself when it already has <paramref name="dtype"/> and a contiguous layout, else a converted contiguous copy.</summary>
    private static Tensor Dense(Tensor tensor, ScalarType dtype) =>
        tensor.dtype == dtype && tensor.is_contiguous() ? tensor : tensor.to(dtype).contiguous();

    /// <summary>A dense <paramref name="dtype"/> tensor that is nonzero exactly where the input is (a plain conversion could round tiny values to 0).</summary>
    private static Tensor NonzeroAsOne(Tensor tensor, ScalarType dtype) =>
        tensor.dtype == dtype ? Dense(tensor, dtype) : tensor.ne(0).to(dtype);

    private static void RequireFloat32IfKernel(object? kernel, Tensor tensor, string name, KernelBackend backend)
    {
        if (kernel is not null && tensor.dtype != ScalarType.Float32)
        {
            throw new ArgumentException(
                $"The {backend} backend takes float32 {name}, got {tensor.dtype}; only {KernelBackend.Reference} accepts other floating-point types.", name);
        }
    }

    private static void RequireShape(bool condition, Tensor tensor, string name, string expected)
    {
        if (!condition)
        {
            throw new ArgumentException($"Expected shape {expected}, got {Shape(tensor)}.", name);
        }
    }

    private static void RequireFloatingPoint(Tensor tensor, string name)
    {
        if (!tensor.is_floating_point())
        {
            throw new ArgumentException($"Expected a floating-point tensor, got {tensor.dtype}.", name);
        }
    }

    private static void RequireSameDevice(Tensor reference, Tensor tensor, string name)
    {
        if (!OnSameDevice(reference, tensor))
        {
            throw new ArgumentException($"Expected a tensor on {reference.device}, got one on {tensor.device}.", name);
        }
    }

    /// <summary>Device equality by type and index (<see cref="Device"/> compares by reference).</summary>
    internal static bool OnSameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    private static string Shape(Tensor tensor) => $"[{string.Join(", ", tensor.shape)}]";
}
