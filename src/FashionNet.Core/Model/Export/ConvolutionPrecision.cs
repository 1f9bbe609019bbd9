using System.Globalization;
using static TorchSharp.torch;

namespace FashionNet.Model.Export;

/// <summary>The range of values one activation of the convolutional network took on calibration images.</summary>
/// <param name="Min">The smallest value seen.</param>
/// <param name="Max">The largest value seen.</param>
public readonly record struct OnnxActivationRange(float Min, float Max);

/// <summary>
/// The float model with every activation that <see cref="FashionNetOnnxExporter.ExportInt8"/> quantizes also given as
/// a graph output, in the order the int8 export takes their ranges: run it on calibration images and record each
/// output's minimum and maximum.
/// </summary>
/// <param name="Model">The ONNX model.</param>
/// <param name="ActivationOutputs">The names of the extra outputs, in order.</param>
public sealed record OnnxCalibrationProbe(byte[] Model, IReadOnlyList<string> ActivationOutputs);

/// <summary>An int8 activation's quantization: <c>value = (q - ZeroPoint) * Scale</c>, q in 0..255, as graph constants.</summary>
internal sealed record ActivationQuantization(float Scale, string ScaleName, string ZeroPointName);

/// <summary>A value of the graph that is a feature map, with its static sizes and, in int8 form, its quantization.</summary>
internal readonly record struct FeatureMap(string Name, long Channels, long Height, long Width, ActivationQuantization? Quantization = null);

/// <summary>
/// How the exporter writes the convolutional network: each convolution's weight and bias, and each activation between
/// convolutions (the images, every convolution's output after its ReLU if it has one, every residual sum after its
/// ReLU). The exporter calls <see cref="Activation"/> at those points, in the same order whatever the precision.
/// </summary>
internal abstract class ConvolutionPrecision(OnnxGraphBuilder graph)
{
    protected OnnxGraphBuilder Graph { get; } = graph;

    /// <summary>How many activations have passed so far.</summary>
    protected int ActivationCount { get; private set; }

    /// <summary>The activation as the next operators read it.</summary>
    public FeatureMap Activation(FeatureMap map) => ActivationAt(map, ActivationCount++);

    /// <summary>The activation numbered <paramref name="index"/> as the next operators read it.</summary>
    protected virtual FeatureMap ActivationAt(FeatureMap map, int index) => map;

    /// <summary>A value computed from <paramref name="source"/> within its range (max pooling): int8 keeps its quantization.</summary>
    public virtual FeatureMap WithinRangeOf(FeatureMap map, FeatureMap source) => map;

    /// <summary>A convolution's weight and bias inputs, from the folded float64 tensors.</summary>
    /// <param name="weight">The weight <c>[Cout, Cin, kh, kw]</c>.</param>
    /// <param name="bias">The bias <c>[Cout]</c>.</param>
    /// <param name="input">The convolution's input.</param>
    public virtual (string Weight, string Bias) Parameters(Tensor weight, Tensor bias, FeatureMap input) =>
        (Graph.Constant(FashionNetOnnxExporter.Floats(weight), weight.shape), Graph.Constant(FashionNetOnnxExporter.Floats(bias), bias.shape));

    /// <summary>Called when the network is written; a precision that needs every activation seen checks it here.</summary>
    public virtual void Complete()
    {
    }
}

/// <summary>Float32 throughout: constants as they are, activations untouched.</summary>
internal sealed class Float32Precision(OnnxGraphBuilder graph) : ConvolutionPrecision(graph);

/// <summary>Float32, with every activation also a graph output named <c>activation_N</c> (<see cref="OnnxCalibrationProbe"/>).</summary>
internal sealed class CalibrationProbePrecision(OnnxGraphBuilder graph) : ConvolutionPrecision(graph)
{
    private readonly List<string> _outputs = [];

    /// <summary>The outputs added, in order.</summary>
    public IReadOnlyList<string> Outputs => _outputs;

    protected override FeatureMap ActivationAt(FeatureMap map, int index)
    {
        string name = "activation_" + index.ToString(CultureInfo.InvariantCulture);
        Graph.Node("Identity", [map.Name], output: name);
        Graph.Output(name, OnnxElementType.Float, OnnxGraphBuilder.BatchDimension, map.Channels, map.Height, map.Width);
        _outputs.Add(name);
        return map;
    }
}

/// <summary>
/// Int8 in ONNX's QDQ form, which ONNX Runtime fuses into integer convolutions and sums (QLinearConv, QLinearAdd):
/// activations uint8, asymmetric, from their calibrated ranges (a ReLU's output has zero point 0, so the ReLU folds into
/// the quantization); weights int8, symmetric per output channel (-127..127, scale max|w| / 127); biases int32 at the
/// product of the input's and the weight's scales, as QLinearConv adds them.
/// </summary>
internal sealed class Int8Precision(OnnxGraphBuilder graph, IReadOnlyList<OnnxActivationRange> ranges) : ConvolutionPrecision(graph)
{
    protected override FeatureMap ActivationAt(FeatureMap map, int index)
    {
        if (index >= ranges.Count)
            throw new ArgumentException($"The calibration gives {ranges.Count} activation ranges; the network has more activations (the probe of another model?).", nameof(ranges));
        var (min, max) = ranges[index];
        if (!float.IsFinite(min) || !float.IsFinite(max) || min > max)
            throw new ArgumentException($"Activation range {index} is [{min}, {max}]: it must be finite with min <= max.", nameof(ranges));
        // The range always holds 0, so that 0 (padding, ReLU) is exact; a constant activation still gets a usable scale.
        double low = Math.Min(0, min), high = Math.Max(0, max);
        float scale = (float)(high > low ? (high - low) / 255 : 1);
        byte zeroPoint = (byte)Math.Clamp(Math.Round(-low / scale), 0, 255);
        var quantization = new ActivationQuantization(scale, Graph.Constant(new[] { scale }), Graph.Constant(new[] { zeroPoint }));
        return Requantize(map, quantization);
    }

    public override FeatureMap WithinRangeOf(FeatureMap map, FeatureMap source) =>
        source.Quantization is { } quantization ? Requantize(map, quantization) : map;

    public override (string Weight, string Bias) Parameters(Tensor weight, Tensor bias, FeatureMap input)
    {
        var inputQuantization = input.Quantization ?? throw new InvalidOperationException("An int8 convolution's input must be a quantized activation.");
        long channels = weight.shape[0];
        double[] weights = weight.contiguous().data<double>().ToArray(), biases = bias.contiguous().data<double>().ToArray();
        int perChannel = (int)(weights.Length / channels);
        var weightScales = new float[channels];
        var biasScales = new float[channels];
        var quantizedWeights = new sbyte[weights.Length];
        var quantizedBiases = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            var channel = weights.AsSpan(c * perChannel, perChannel);
            double largest = 0;
            foreach (double w in channel) largest = Math.Max(largest, Math.Abs(w));
            weightScales[c] = (float)(largest > 0 ? largest / 127 : 1);
            for (int i = 0; i < perChannel; i++) quantizedWeights[c * perChannel + i] = (sbyte)Math.Clamp(Math.Round(channel[i] / weightScales[c]), -127, 127);
            biasScales[c] = inputQuantization.Scale * weightScales[c];
            quantizedBiases[c] = (int)Math.Clamp(Math.Round(biases[c] / biasScales[c]), int.MinValue, int.MaxValue);
        }
        var perChannelAxis = new[] { OnnxNodeAttribute.Of("axis", 0L) };
        string dequantizedWeight = Graph.Node("DequantizeLinear",
            [Graph.Constant(quantizedWeights, weight.shape), Graph.Constant(weightScales, channels), Graph.Constant(new sbyte[channels], channels)], perChannelAxis);
        string dequantizedBias = Graph.Node("DequantizeLinear",
            [Graph.Constant(quantizedBiases, channels), Graph.Constant(biasScales, channels), Graph.Constant(new int[channels], channels)], perChannelAxis);
        return (dequantizedWeight, dequantizedBias);
    }

    public override void Complete()
    {
        if (ActivationCount != ranges.Count)
            throw new ArgumentException($"The calibration gives {ranges.Count} activation ranges; the network has {ActivationCount} activations (the probe of another model?).", nameof(ranges));
    }

    /// <summary>Quantizes then dequantizes <paramref name="map"/>: the pair ONNX Runtime fuses into the integer operators around it.</summary>
    private FeatureMap Requantize(FeatureMap map, ActivationQuantization quantization)
    {
        string quantized = Graph.Node("QuantizeLinear", [map.Name, quantization.ScaleName, quantization.ZeroPointName]);
        return map with { Name = Graph.Node("DequantizeLinear", [quantized, quantization.ScaleName, quantization.ZeroPointName]), Quantization = quantization };
    }
}
