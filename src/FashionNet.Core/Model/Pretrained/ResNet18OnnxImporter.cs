using FashionNet.Model.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Pretrained;

/// <summary>
/// Imports the ImageNet weights of ML.NET's <c>ResNet18.onnx</c> (package Microsoft.ML.DnnImageFeaturizer.ResNet18, a
/// CNTK export) into <see cref="ResNet.ResNet18Cntk"/>. The file names its initializers <c>ParameterNN</c> /
/// <c>ConstantNN</c>, so the mapping follows the graph: every Conv must feed one BatchNormalization; the 3x3/7x7
/// convolutions in graph (topological) order are the stem and each block's conv1, conv2; the 1x1 ones are the
/// projection shortcuts in stage order. Kernel, stride, padding and every weight shape are checked against the module.
/// The model expects <see cref="ResNet18OnnxPreprocessing"/>'s input (BGR, 0..255, minus a mean image).
/// </summary>
public static class ResNet18OnnxImporter
{
    /// <summary>File name of the model in the package (<c>tools/DnnImageModels/ResNet18Onnx/</c>).</summary>
    public const string FileName = "ResNet18.onnx";

    /// <summary>Creates a <see cref="ResNet.ResNet18Cntk"/> and loads the weights of the ONNX file at <paramref name="path"/>.</summary>
    public static ResNet Load(string path)
    {
        var model = ResNet.ResNet18Cntk();
        try
        {
            Import(model, path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies the convolution and batch-norm weights of the ONNX file at <paramref name="path"/> into <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="target"/> is built from bottleneck blocks.</exception>
    /// <exception cref="InvalidDataException">The file's graph does not have <paramref name="target"/>'s structure.</exception>
    public static void Import(ResNet target, string path)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(path);
        // The mapping below tells shortcuts from the main path by their 1x1 kernels, which bottleneck blocks also have.
        if (target.Block != ResidualBlockKind.Basic)
            throw new ArgumentException($"Only basic-block ResNets can take these weights, not {target.Block} blocks.", nameof(target));
        var graph = OnnxModelReader.ReadFile(path);
        try
        {
            ImportGraph(target, graph);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    private static void ImportGraph(ResNet target, OnnxGraph graph)
    {
        var normByInput = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => n.OpType == "BatchNormalization"))
        {
            if (!normByInput.TryAdd(node.Inputs[0], node)) throw new InvalidDataException($"two BatchNormalization nodes read '{node.Inputs[0]}'.");
        }
        var sourceConvs = graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        var targetConvs = target.ConvolutionsInOrder().ToList();
        if (sourceConvs.Count != targetConvs.Count)
        {
            throw new InvalidDataException(
                $"the graph has {sourceConvs.Count} convolutions, a ResNet with blocks [{string.Join(", ", target.BlocksPerStage)}] has {targetConvs.Count}.");
        }

        static bool IsProjection(long[] kernel) => kernel.All(k => k == 1);
        var sourceMain = sourceConvs.Where(n => !IsProjection(KernelShape(n, graph))).ToList();
        var sourceProjections = sourceConvs.Where(n => IsProjection(KernelShape(n, graph))).ToList();
        var targetMain = targetConvs.Where(t => !IsProjection(t.Conv.kernel_size)).ToList();
        var targetProjections = targetConvs.Where(t => IsProjection(t.Conv.kernel_size)).ToList();
        if (sourceMain.Count != targetMain.Count || sourceProjections.Count != targetProjections.Count)
        {
            throw new InvalidDataException(
                $"the graph has {sourceMain.Count} main-path and {sourceProjections.Count} 1x1 projection convolutions, " +
                $"the model {targetMain.Count} and {targetProjections.Count}.");
        }

        ExpectStemMaxPool(graph);
        using var noGrad = no_grad();
        foreach (var (source, destination) in sourceMain.Zip(targetMain).Concat(sourceProjections.Zip(targetProjections)))
        {
            if (!normByInput.TryGetValue(source.Outputs[0], out var norm))
                throw new InvalidDataException($"convolution '{source.Outputs[0]}' is not followed by a BatchNormalization.");
            CopyConvolution(source, destination.Conv, graph);
            CopyBatchNorm(norm, destination.Norm, graph);
        }
    }

    /// <summary>The model's stem pools 3x3 with stride 2 and padding 1 (PyTorch's); the graph must have exactly that one max pooling.</summary>
    private static void ExpectStemMaxPool(OnnxGraph graph)
    {
        var pools = graph.Nodes.Where(n => n.OpType == "MaxPool").ToList();
        if (pools.Count != 1) throw new InvalidDataException($"the graph has {pools.Count} MaxPool nodes, the model 1.");
        var pool = pools[0];
        string name = pool.Outputs[0];
        Expect(name, "kernel_shape", pool.Ints("kernel_shape", []), [3, 3]);
        Expect(name, "strides", pool.Ints("strides", [1, 1]), [2, 2]);
        var pads = pool.Ints("pads", [0, 0, 0, 0]);
        if (pads.Count != 4 || pads[0] != 1 || pads[1] != 1 || pads[2] is not (0 or 1) || pads[3] is not (0 or 1))
            throw new InvalidDataException($"max pooling '{name}': pads [{string.Join(", ", pads)}] do not match the model's padding 1.");
    }

    private static long[] KernelShape(OnnxNode conv, OnnxGraph graph)
    {
        if (conv.Inputs.Count < 2 || !graph.Initializers.TryGetValue(conv.Inputs[1], out var weight))
            throw new InvalidDataException($"convolution '{conv.Outputs[0]}' has no float weight initializer.");
        return weight.Dims[2..];
    }

    private static void CopyConvolution(OnnxNode node, Conv2d conv, OnnxGraph graph)
    {
        string name = node.Outputs[0];
        if (node.Inputs.Count != 2) throw new InvalidDataException($"convolution '{name}' has a bias; the model's convolutions have none.");
        Expect(name, "strides", node.Ints("strides", [1, 1]), conv.stride);
        Expect(name, "dilations", node.Ints("dilations", [1, 1]), conv.dilation);
        Expect(name, "group", [node.Attributes.TryGetValue("group", out var group) ? group.Int ?? 1 : 1], [conv.groups]);

        // ONNX pads are [top, left, bottom, right]. CNTK's "same" padding of a stride-2 convolution puts the odd pixel
        // at the start (e.g. [3, 3, 2, 2] for the 7x7 stem); on even input sizes that samples exactly the positions of
        // PyTorch's symmetric padding, so begin must equal the module's padding and end may be one less.
        var pads = node.Ints("pads", [0, 0, 0, 0]);
        if (pads.Count != 4) throw new InvalidDataException($"convolution '{name}': expected 4 pads, got {pads.Count}.");
        var padding = conv.padding ?? throw new InvalidOperationException("The model's convolutions use explicit padding.");
        for (int axis = 0; axis < 2; axis++)
        {
            long begin = pads[axis], end = pads[axis + 2], expected = padding[axis];
            if (begin != expected || (end != begin && end != begin - 1))
            {
                throw new InvalidDataException(
                    $"convolution '{name}': pads [{string.Join(", ", pads)}] do not match the model's padding {expected}.");
            }
        }
        CopyInitializer(graph, node.Inputs[1], conv.weight!, $"{name} weight");
    }

    private static void CopyBatchNorm(OnnxNode node, BatchNorm2d norm, OnnxGraph graph)
    {
        string name = node.Outputs[0];
        if (node.Inputs.Count != 5) throw new InvalidDataException($"batch norm '{name}' has {node.Inputs.Count} inputs, expected 5.");
        float epsilon = node.Attributes.TryGetValue("epsilon", out var eps) ? eps.Float ?? 1e-5f : 1e-5f;
        if (Math.Abs(epsilon - norm.eps) > 1e-9)
            throw new InvalidDataException($"batch norm '{name}' has epsilon {epsilon}, the model {norm.eps}.");
        if (node.Attributes.TryGetValue("spatial", out var spatial) && spatial.Int != 1)
            throw new InvalidDataException($"batch norm '{name}' is not spatial.");
        CopyInitializer(graph, node.Inputs[1], norm.weight!, $"{name} scale");
        CopyInitializer(graph, node.Inputs[2], norm.bias!, $"{name} bias");
        CopyInitializer(graph, node.Inputs[3], norm.running_mean!, $"{name} mean");
        CopyInitializer(graph, node.Inputs[4], norm.running_var!, $"{name} variance");
    }

    private static void CopyInitializer(OnnxGraph graph, string initializer, Tensor destination, string role)
    {
        if (!graph.Initializers.TryGetValue(initializer, out var source))
            throw new InvalidDataException($"{role}: initializer '{initializer}' is missing or not float32.");
        if (!source.Dims.SequenceEqual(destination.shape))
        {
            throw new InvalidDataException(
                $"{role}: initializer '{initializer}' has shape [{string.Join(", ", source.Dims)}], the model expects [{string.Join(", ", destination.shape)}].");
        }
        using var values = source.ToTensor();
        destination.copy_(values);
    }

    private static void Expect(string node, string attribute, IReadOnlyList<long> actual, IReadOnlyList<long> expected)
    {
        if (!actual.SequenceEqual(expected))
        {
            throw new InvalidDataException(
                $"node '{node}': {attribute} [{string.Join(", ", actual)}] do not match the model's [{string.Join(", ", expected)}].");
        }
    }
}
