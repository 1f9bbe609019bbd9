using System.Reflection;
using FashionNet.IO;
using FashionNet.Model.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Export;

/// <summary>
/// Exports what a trained <see cref="FashionNetModel"/> computes in evaluation mode, pooling at its predicted landmarks,
/// as an ONNX model (IR 8, operator set 17), for ONNX Runtime or any other ONNX engine. The graph takes
/// <see cref="ImagesInput"/> <c>[batch, 3, ImageHeight, ImageWidth]</c> (normalized as the model's checkpoint says) and
/// gives <see cref="EmbeddingOutput"/>, <see cref="LandmarksOutput"/>, <see cref="VisibilityLogitsOutput"/> and
/// <see cref="CategoryLogitsOutput"/>, the tensors of <see cref="FashionNetOutput"/> of the same names (the attribute head
/// and the branch features are left out).
/// </summary>
/// <remarks>
/// <para>Batch normalization is folded into the convolutions (in float64, then rounded to float32), so the exported
/// network computes the same function with other roundings: on random weights at 64 px its outputs were within 1e-5 of
/// the TorchSharp model's (tests/FashionNet.Core.Tests/Model/OnnxExportTests.cs). Other roundings can still tip a
/// discrete choice on a rare image: a predicted landmark within rounding of a cell border pools the neighbouring cell, a
/// visibility probability at the threshold gates the other way (an engine's sigmoid may be an approximation).</para>
/// <para>Landmark pooling is written with basic operators that reproduce <see cref="Kernels.LandmarkPooling"/> exactly:
/// the cell <c>floor(x * W)</c> is computed in float64 (exact, as the library does), the K x K window's cells are gathered
/// from the map padded with -infinity, each bin is a maximum over its rows and columns by RoIPool's rule, a bin with no
/// cell inside the map gives 0, and an invisible landmark (predicted visibility probability not above the threshold)
/// gives 0. ONNX's <c>MaxRoiPool</c> is not used: the ONNX specification leaves its rounding, clipping and empty bins to
/// the engine (ONNX Runtime follows Caffe's RoIPool, and an older version of its kernel started each maximum at the
/// smallest positive float rather than the lowest), while the gather is exact in integer arithmetic on any engine.</para>
/// <para>Supported: ResNet backbones (<see cref="ResNet"/>: torchvision's ResNet18/34/50 layouts and the CNTK ResNet18
/// of the ImageNet recipes), either pooled map, any window and bins. Refused with <see cref="NotSupportedException"/>:
/// other backbones (VGG16) and a model with a local branch whose <see cref="FashionNetModel.EvaluationLandmarks"/> is
/// <see cref="LandmarkSource.None"/> (a model without one pools nothing and exports whatever its landmark source).</para>
/// </remarks>
public static class FashionNetOnnxExporter
{
    /// <summary>Name of the graph's input: normalized images <c>[batch, 3, H, W]</c>, float32.</summary>
    public const string ImagesInput = "images";

    /// <summary>Name of the L2-normalized embedding output <c>[batch, EmbeddingSize]</c> (the only output of a backbone export).</summary>
    public const string EmbeddingOutput = "embedding";

    /// <summary>Name of the landmarks output <c>[batch, LandmarkCount, 2]</c>: normalized (x, y) in (0, 1).</summary>
    public const string LandmarksOutput = "landmarks";

    /// <summary>Name of the visibility logits output <c>[batch, LandmarkCount]</c>.</summary>
    public const string VisibilityLogitsOutput = "visibility_logits";

    /// <summary>Name of the category logits output <c>[batch, CategoryCount]</c>.</summary>
    public const string CategoryLogitsOutput = "category_logits";

    private const string Producer = "FashionNet.Core";
    private const float NormalizeEpsilon = 1e-12f; // torch.nn.functional.normalize's

    /// <summary>The ONNX model of <paramref name="model"/>'s evaluation-mode forward pass (see the class remarks).</summary>
    /// <param name="model">The model, on any device, in either mode (the export computes evaluation mode).</param>
    /// <exception cref="NotSupportedException">The backbone or the landmark source cannot be exported (the message says which).</exception>
    public static byte[] Export(FashionNetModel model)
    {
        var graph = new OnnxGraphBuilder();
        return Export(model, graph, new Float32Precision(graph));
    }

    /// <summary>
    /// <see cref="Export(FashionNetModel)"/>'s model with each activation of the convolutional network that
    /// <see cref="ExportInt8"/> quantizes also given as an output: run it on calibration images to measure their ranges.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <exception cref="NotSupportedException">The model cannot be exported.</exception>
    public static OnnxCalibrationProbe ExportCalibrationProbe(FashionNetModel model)
    {
        var graph = new OnnxGraphBuilder();
        var probe = new CalibrationProbePrecision(graph);
        byte[] bytes = Export(model, graph, probe);
        return new OnnxCalibrationProbe(bytes, [.. probe.Outputs]);
    }

    /// <summary>
    /// The model with its convolutional network in int8 (ONNX's QDQ form, which ONNX Runtime runs as integer
    /// convolutions: uint8 activations from <paramref name="ranges"/>, int8 weights per output channel); landmark
    /// pooling, the fully connected layers and the outputs stay float32. Quantization changes the outputs by more than
    /// rounding: measure retrieval with it before using it (benchmarks/FashionNet.Peers recall).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="ranges">Each activation's range on calibration images, in the order of <see cref="ExportCalibrationProbe"/>'s outputs.</param>
    /// <exception cref="ArgumentException">The ranges are not one per activation of this model, or one is not finite.</exception>
    /// <exception cref="NotSupportedException">The model cannot be exported.</exception>
    public static byte[] ExportInt8(FashionNetModel model, IReadOnlyList<OnnxActivationRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var graph = new OnnxGraphBuilder();
        return Export(model, graph, new Int8Precision(graph, ranges));
    }

    /// <summary>The model written into <paramref name="graph"/>, its convolutional network in <paramref name="precision"/> (which writes into the same graph).</summary>
    private static byte[] Export(FashionNetModel model, OnnxGraphBuilder graph, ConvolutionPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(model);
        var resnet = RequireSupported(model);
        var o = model.Options;
        using var scope = NewDisposeScope();
        var emitter = new ResNetEmitter(graph, resnet, precision);
        var images = new FeatureMap(graph.Input(ImagesInput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, 3, o.ImageHeight, o.ImageWidth), 3, o.ImageHeight, o.ImageWidth);
        var (trunk, stride8) = emitter.Trunk(images);
        var children = Children(model);

        var globalMap = emitter.Stage(Child<Sequential>(resnet, "layer4"), trunk);
        var globalFeature = graph.Node("Relu", [Linear(graph, Child<Linear>(children, "globalFc"), GlobalAverage(graph, globalMap))]);

        var poseMap = emitter.Stage(Child<Sequential>(children, "poseStage"), trunk);
        var poseGrid = AdaptiveAveragePool(graph, poseMap, o.PoseGridSize);
        var pose = graph.Node("Relu", [Linear(graph, Child<Linear>(children, "poseFc1"), poseGrid)]);
        pose = graph.Node("Relu", [Linear(graph, Child<Linear>(children, "poseFc2"), pose)]);
        var landmarks = graph.Node("Reshape", [graph.Node("Sigmoid", [Linear(graph, Child<Linear>(children, "landmarkHead"), pose)]), graph.Int64s(0, o.LandmarkCount, 2)],
            output: LandmarksOutput);
        var visibilityLogits = Linear(graph, Child<Linear>(children, "visibilityHead"), pose, VisibilityLogitsOutput);

        var fusionInput = globalFeature;
        if (o.UseLocalBranch)
        {
            var visible = graph.Node("Greater", [graph.Node("Sigmoid", [visibilityLogits]), graph.Constant([o.VisibilityThreshold])]);
            var pooledMap = o.PooledMap == BackboneMap.Trunk ? trunk : stride8;
            var pooled = LandmarkPoolingGraph(graph, pooledMap, landmarks, visible, o.LandmarkCount, o.PoolingWindow, o.PoolingBins);
            var flat = graph.Node("Reshape", [pooled, graph.Int64s(0, -1)]);
            var localFc = Child<Linear>(children, "localFc");
            var localFeature = graph.Node("Relu", [o.NormalizePooledFeatures
                ? NormalizedLinear(graph, Child<BatchNorm1d>(children, "pooledNorm"), localFc, flat)
                : Linear(graph, localFc, flat)]);
            fusionInput = graph.Node("Concat", [globalFeature, localFeature], [OnnxNodeAttribute.Of("axis", 1L)]);
        }
        var fused = Linear(graph, Child<Linear>(children, "fusionFc"), fusionInput);
        Linear(graph, Child<Linear>(children, "categoryHead"), fused, CategoryLogitsOutput);
        L2Normalize(graph, fused, EmbeddingOutput);

        graph.Output(EmbeddingOutput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, o.EmbeddingSize);
        graph.Output(LandmarksOutput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, o.LandmarkCount, 2);
        graph.Output(VisibilityLogitsOutput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, o.LandmarkCount);
        graph.Output(CategoryLogitsOutput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, o.CategoryCount);
        precision.Complete();
        return graph.ToModel("FashionNet", Producer, ProducerVersion);
    }

    /// <summary>Writes <see cref="Export(FashionNetModel)"/>'s model to <paramref name="path"/> atomically.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The ONNX file to create or replace.</param>
    /// <exception cref="NotSupportedException">The model cannot be exported.</exception>
    public static void Export(FashionNetModel model, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllBytes(path, Export(model));
    }

    /// <summary>
    /// The ONNX model of a backbone used as an off-the-shelf embedder: trunk, final stage, global average pooling, L2
    /// normalization (<see cref="EmbeddingOutput"/> <c>[batch, FinalStageChannels]</c>), what
    /// <see cref="Inference.ImageNetBaselineEmbedder"/> computes.
    /// </summary>
    /// <param name="backbone">The backbone (evaluation-mode batch normalization is exported).</param>
    /// <param name="imageSize">The square input size in pixels.</param>
    /// <exception cref="NotSupportedException">The backbone is not a <see cref="ResNet"/>.</exception>
    public static byte[] ExportBackbone(Backbone backbone, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        var resnet = RequireResNet(backbone);
        var graph = new OnnxGraphBuilder();
        using var scope = NewDisposeScope();
        var emitter = new ResNetEmitter(graph, resnet, new Float32Precision(graph));
        var images = new FeatureMap(graph.Input(ImagesInput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, 3, imageSize, imageSize), 3, imageSize, imageSize);
        var (trunk, _) = emitter.Trunk(images);
        var map = emitter.Stage(Child<Sequential>(resnet, "layer4"), trunk);
        L2Normalize(graph, GlobalAverage(graph, map), EmbeddingOutput);
        graph.Output(EmbeddingOutput, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, map.Channels);
        return graph.ToModel("Backbone", Producer, ProducerVersion);
    }

    /// <summary>
    /// A graph of landmark pooling alone, for checking it against <see cref="Kernels.KernelFunctional.LandmarkPool"/>:
    /// inputs <c>features [batch, C, H, W]</c>, <c>landmarks [batch, L, 2]</c> (normalized) and <c>visible [batch, L]</c>
    /// (bool); output <c>pooled [batch, L, C, P, P]</c>.
    /// </summary>
    internal static byte[] ExportLandmarkPooling(int channels, int height, int width, int landmarkCount, int window, int bins)
    {
        var graph = new OnnxGraphBuilder();
        var features = new FeatureMap(graph.Input("features", OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, channels, height, width), channels, height, width);
        var landmarks = graph.Input("landmarks", OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, landmarkCount, 2);
        var visible = graph.Input("visible", OnnxElementType.Bool, OnnxGraphBuilder.BatchDimension, landmarkCount);
        var pooled = LandmarkPoolingGraph(graph, features, landmarks, visible, landmarkCount, window, bins);
        graph.Node("Reshape", [pooled, graph.Int64s(0, landmarkCount, channels, bins, bins)], output: "pooled");
        graph.Output("pooled", OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, landmarkCount, channels, bins, bins);
        return graph.ToModel("LandmarkPooling", Producer, ProducerVersion);
    }

    /// <summary>The model's ResNet backbone, or the refusal of a model the export does not cover.</summary>
    private static ResNet RequireSupported(FashionNetModel model)
    {
        if (model.Options.UseLocalBranch && model.EvaluationLandmarks == LandmarkSource.None)
        {
            throw new NotSupportedException(
                "ONNX export computes the embedding pooled at predicted landmarks; this model's EvaluationLandmarks is None (the ablation): set it to Predicted to export.");
        }
        return RequireResNet(model.Backbone);
    }

    private static ResNet RequireResNet(Backbone backbone) => backbone as ResNet ?? throw new NotSupportedException(
        $"ONNX export supports ResNet backbones (ResNet18 in torchvision's or the CNTK layout, ResNet34, ResNet50), not {backbone.GetType().Name}.");

    private static string ProducerVersion =>
        typeof(FashionNetOnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";

    /// <summary>
    /// Landmark pooling (see the class remarks) of <paramref name="features"/> at normalized <paramref name="landmarks"/>
    /// <c>[batch, L, 2]</c> gated by the bool <paramref name="visible"/> <c>[batch, L]</c>: <c>[batch, L, C, P * P]</c>.
    /// </summary>
    private static string LandmarkPoolingGraph(OnnxGraphBuilder graph, FeatureMap features, string landmarks, string visible, int landmarkCount, int window, int bins)
    {
        long height = features.Height, width = features.Width, channels = features.Channels;
        int half = window / 2;
        // Cells are clamped to [-K, extent + K] (LandmarkPoolingRules.Cell) and a window spans offsets -K/2 .. K - 1 - K/2,
        // so its cells lie in [-K - K/2, extent + 2K - 1 - K/2]: a border of K + (K - K/2) on each side (one more than
        // K + K/2 for odd K, on the high side) holds every window.
        long border = window + (window - half), paddedWidth = width + 2 * border, paddedHeight = height + 2 * border;

        // (column, row) cells: floor(coordinate * extent) in float64, exact for a float32 coordinate, then clamped.
        var scaled = graph.Node("Mul", [graph.Node("Cast", [landmarks], [OnnxNodeAttribute.Of("to", (long)OnnxElementType.Double)]), graph.Constant([(double)width, height], 2)]);
        var cells = graph.Node("Floor", [scaled]);
        cells = graph.Node("Max", [graph.Node("Min", [cells, graph.Constant([(double)width + window, height + window], 2)]), graph.Constant([(double)-window, -window], 2)]);
        var padded = graph.Node("Add", [graph.Node("Cast", [cells], [OnnxNodeAttribute.Of("to", (long)OnnxElementType.Int64)]), graph.Int64s(border)]);

        // Flat indices of each window's cells in the padded map, rows then columns: [batch, L * K * K, 1].
        var offsets = graph.Int64s([.. Enumerable.Range(-half, window).Select(d => (long)d)]);
        var columns = graph.Node("Add", [graph.Node("Slice", [padded, graph.Int64s(0), graph.Int64s(1), graph.Int64s(2)]), offsets]);
        var rows = graph.Node("Add", [graph.Node("Slice", [padded, graph.Int64s(1), graph.Int64s(2), graph.Int64s(2)]), offsets]);
        var rowStarts = graph.Node("Mul", [graph.Node("Reshape", [rows, graph.Int64s(0, landmarkCount, window, 1)]), graph.Int64s(paddedWidth)]);
        var flat = graph.Node("Add", [rowStarts, graph.Node("Reshape", [columns, graph.Int64s(0, landmarkCount, 1, window)])]);
        var indices = graph.Node("Reshape", [flat, graph.Int64s(0, (long)landmarkCount * window * window, 1)]);

        // The map padded with -infinity, as [batch, cells, C], gathered per sample: [batch, L, K, K, C].
        var pads = graph.Int64s(0, 0, border, border, 0, 0, border, border);
        var paddedMap = graph.Node("Pad", [features.Name, pads, graph.Constant([float.NegativeInfinity])]);
        var cellsLast = graph.Node("Reshape", [graph.Node("Transpose", [paddedMap], [OnnxNodeAttribute.List("perm", 0L, 2L, 3L, 1L)]), graph.Int64s(0, paddedHeight * paddedWidth, channels)]);
        var gathered = graph.Node("GatherND", [cellsLast, indices], [OnnxNodeAttribute.Of("batch_dims", 1L)]);
        var windows = graph.Node("Reshape", [gathered, graph.Int64s(0, landmarkCount, window, window, channels)]);

        // Each bin: the maximum over its window rows and columns (RoIPool's rule), [batch, L, C, 1]; bins side by side.
        var binValues = new List<string>();
        for (int binRow = 0; binRow < bins; binRow++)
        for (int binColumn = 0; binColumn < bins; binColumn++)
        {
            var bin = graph.Node("Slice", [windows,
                graph.Int64s(Kernels.LandmarkPoolingRules.BinStart(binRow, window, bins), Kernels.LandmarkPoolingRules.BinStart(binColumn, window, bins)),
                graph.Int64s(Kernels.LandmarkPoolingRules.BinEnd(binRow, window, bins), Kernels.LandmarkPoolingRules.BinEnd(binColumn, window, bins)),
                graph.Int64s(2, 3)]);
            var maximum = graph.Node("ReduceMax", [bin], [OnnxNodeAttribute.List("axes", 2L, 3L), OnnxNodeAttribute.Of("keepdims", 0L)]);
            binValues.Add(graph.Node("Reshape", [maximum, graph.Int64s(0, landmarkCount, channels, 1)]));
        }
        var pooled = binValues.Count == 1 ? binValues[0] : graph.Node("Concat", binValues, [OnnxNodeAttribute.Of("axis", 3L)]);

        // A bin of padding only (no cell inside the map) and an invisible landmark give 0.
        var zero = graph.Constant([0f]);
        pooled = graph.Node("Where", [graph.Node("IsInf", [pooled], [OnnxNodeAttribute.Of("detect_positive", 0L)]), zero, pooled]);
        return graph.Node("Where", [graph.Node("Reshape", [visible, graph.Int64s(0, landmarkCount, 1, 1)]), pooled, zero]);
    }

    /// <summary>Adaptive average pooling to a <paramref name="grid"/> x <paramref name="grid"/> grid, flattened: <c>[batch, C * grid * grid]</c>.</summary>
    private static string AdaptiveAveragePool(OnnxGraphBuilder graph, FeatureMap map, int grid)
    {
        // PyTorch's bins: cells floor(i * in / out) up to ceil((i + 1) * in / out), averaged; one fixed [H * W, grid * grid] matrix.
        long h = map.Height, w = map.Width;
        var weights = new float[h * w * grid * grid];
        for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++)
        {
            long y0 = gy * h / grid, y1 = ((gy + 1) * h + grid - 1) / grid, x0 = gx * w / grid, x1 = ((gx + 1) * w + grid - 1) / grid;
            float share = 1f / ((y1 - y0) * (x1 - x0));
            for (long y = y0; y < y1; y++)
            for (long x = x0; x < x1; x++) weights[(y * w + x) * grid * grid + gy * grid + gx] = share;
        }
        var cells = graph.Node("Reshape", [map.Name, graph.Int64s(0, map.Channels, h * w)]);
        var pooled = graph.Node("MatMul", [cells, graph.Constant(weights, h * w, (long)grid * grid)]);
        return graph.Node("Reshape", [pooled, graph.Int64s(0, -1)]);
    }

    private static string GlobalAverage(OnnxGraphBuilder graph, FeatureMap map) =>
        graph.Node("Flatten", [graph.Node("GlobalAveragePool", [map.Name])], [OnnxNodeAttribute.Of("axis", 1L)]);

    /// <summary><c>x / max(||x||, 1e-12)</c> along dimension 1, as <c>torch.nn.functional.normalize</c>.</summary>
    private static string L2Normalize(OnnxGraphBuilder graph, string x, string output)
    {
        var norm = graph.Node("ReduceL2", [x], [OnnxNodeAttribute.List("axes", 1L), OnnxNodeAttribute.Of("keepdims", 1L)]);
        return graph.Node("Div", [x, graph.Node("Max", [norm, graph.Constant([NormalizeEpsilon])])], output: output);
    }

    private static string Linear(OnnxGraphBuilder graph, Linear linear, string input, string? output = null) =>
        Gemm(graph, input, linear.weight ?? throw new InvalidOperationException("A linear layer has no weight."), linear.bias, output);

    /// <summary>A batch norm (evaluation mode) and the linear layer after it, as one Gemm: the norm folded into the weights.</summary>
    private static string NormalizedLinear(OnnxGraphBuilder graph, BatchNorm1d norm, Linear linear, string input)
    {
        using var scope = NewDisposeScope();
        var mean = norm.running_mean!.detach().cpu().to(ScalarType.Float64);
        var variance = norm.running_var!.detach().cpu().to(ScalarType.Float64);
        var scale = norm.weight!.detach().cpu().to(ScalarType.Float64) / (variance + norm.eps).sqrt();
        var shift = norm.bias!.detach().cpu().to(ScalarType.Float64) - mean * scale;
        var weight = linear.weight!.detach().cpu().to(ScalarType.Float64);
        var bias = linear.bias is { } linearBias ? linearBias.detach().cpu().to(ScalarType.Float64) : zeros(weight.shape[0], ScalarType.Float64);
        return Gemm(graph, input, weight * scale.view(1, -1), bias + weight.matmul(shift));
    }

    /// <summary><c>input @ weight^T + bias</c>.</summary>
    private static string Gemm(OnnxGraphBuilder graph, string input, Tensor weight, Tensor? bias, string? output = null)
    {
        var inputs = new List<string> { input, graph.Constant(Floats(weight), weight.shape) };
        if (bias is not null) inputs.Add(graph.Constant(Floats(bias), bias.shape));
        return graph.Node("Gemm", inputs, [OnnxNodeAttribute.Of("transB", 1L)], output);
    }

    internal static float[] Floats(Tensor tensor) => tensor.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    private static Dictionary<string, nn.Module> Children(nn.Module module) =>
        module.named_children().ToDictionary(child => child.name, child => child.module, StringComparer.Ordinal);

    private static T Child<T>(nn.Module module, string name) where T : nn.Module => Child<T>(Children(module), name);

    private static T Child<T>(Dictionary<string, nn.Module> children, string name) where T : nn.Module =>
        children.TryGetValue(name, out var child) && child is T typed
            ? typed
            : throw new InvalidOperationException($"The model has no {typeof(T).Name} '{name}': the exporter does not know this version of the model.");

    /// <summary>Emits the convolutional part of a <see cref="ResNet"/>, batch normalization folded into each convolution.</summary>
    private sealed class ResNetEmitter(OnnxGraphBuilder graph, ResNet resnet, ConvolutionPrecision precision)
    {
        private readonly int _mainPathLength = resnet.Block == ResidualBlockKind.Basic ? 2 : 3;

        /// <summary>Stem and layer1..layer3: the trunk map and the stride-8 map (layer2's output).</summary>
        public (FeatureMap Trunk, FeatureMap Stride8) Trunk(FeatureMap images)
        {
            var x = ConvolutionWithNorm(Child<Conv2d>(resnet, "conv1"), Child<BatchNorm2d>(resnet, "bn1"), precision.Activation(images), relu: true);
            long pooledHeight = (x.Height + 2 - 3) / 2 + 1, pooledWidth = (x.Width + 2 - 3) / 2 + 1;
            var pooled = new FeatureMap(graph.Node("MaxPool", [x.Name],
                [OnnxNodeAttribute.List("kernel_shape", 3L, 3L), OnnxNodeAttribute.List("strides", 2L, 2L), OnnxNodeAttribute.List("pads", 1L, 1L, 1L, 1L)]),
                x.Channels, pooledHeight, pooledWidth);
            x = precision.WithinRangeOf(pooled, x);
            var stride8 = Stage(Child<Sequential>(resnet, "layer2"), Stage(Child<Sequential>(resnet, "layer1"), x));
            return (Stage(Child<Sequential>(resnet, "layer3"), stride8), stride8);
        }

        /// <summary>A stage (a sequence of residual blocks).</summary>
        public FeatureMap Stage(Sequential stage, FeatureMap x)
        {
            foreach (var block in stage.children()) x = Block((ResidualBlock)block, x);
            return x;
        }

        private FeatureMap Block(ResidualBlock block, FeatureMap input)
        {
            var convolutions = block.Convolutions().ToList();
            var x = input;
            for (int i = 0; i < _mainPathLength; i++) x = ConvolutionWithNorm(convolutions[i].Conv, convolutions[i].Norm, x, relu: i < _mainPathLength - 1);
            var shortcut = convolutions.Count > _mainPathLength ? ConvolutionWithNorm(convolutions[^1].Conv, convolutions[^1].Norm, input, relu: false) : input;
            return precision.Activation(x with { Name = graph.Node("Relu", [graph.Node("Add", [x.Name, shortcut.Name])]), Quantization = null });
        }

        /// <summary>
        /// A convolution followed by evaluation-mode batch normalization, as one convolution with bias, and a ReLU when
        /// <paramref name="relu"/>: an activation of the precision.
        /// </summary>
        private FeatureMap ConvolutionWithNorm(Conv2d conv, BatchNorm2d norm, FeatureMap input, bool relu)
        {
            if (conv.padding is not { } padding || conv.groups != 1 || conv.dilation.Any(d => d != 1) || conv.padding_mode != PaddingModes.Zeros)
                throw new NotSupportedException("ONNX export supports plain convolutions (explicit zero padding, no groups, no dilation).");
            using var scope = NewDisposeScope();
            var weight = conv.weight.detach().cpu().to(ScalarType.Float64);
            var mean = norm.running_mean!.detach().cpu().to(ScalarType.Float64);
            var variance = norm.running_var!.detach().cpu().to(ScalarType.Float64);
            var gamma = norm.weight!.detach().cpu().to(ScalarType.Float64);
            var beta = norm.bias!.detach().cpu().to(ScalarType.Float64);
            var scale = gamma / (variance + norm.eps).sqrt();
            var bias = conv.bias is { } convBias ? convBias.detach().cpu().to(ScalarType.Float64) : zeros_like(mean);
            var foldedWeight = weight * scale.view(-1, 1, 1, 1);
            var foldedBias = (bias - mean) * scale + beta;

            long[] kernel = conv.kernel_size, stride = conv.stride;
            var (weightName, biasName) = precision.Parameters(foldedWeight, foldedBias, input);
            var output = graph.Node("Conv", [input.Name, weightName, biasName],
            [
                OnnxNodeAttribute.List("kernel_shape", kernel),
                OnnxNodeAttribute.List("strides", stride),
                OnnxNodeAttribute.List("pads", padding[0], padding[1], padding[0], padding[1]),
            ]);
            return precision.Activation(new FeatureMap(relu ? graph.Node("Relu", [output]) : output, conv.out_channels,
                (input.Height + 2 * padding[0] - kernel[0]) / stride[0] + 1,
                (input.Width + 2 * padding[1] - kernel[1]) / stride[1] + 1));
        }
    }
}
