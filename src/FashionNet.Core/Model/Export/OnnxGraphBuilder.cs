using System.Globalization;
using System.Runtime.InteropServices;

namespace FashionNet.Model.Export;

/// <summary>Element types of ONNX tensors (onnx.proto's <c>TensorProto.DataType</c>), the ones the exporter uses.</summary>
internal enum OnnxElementType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Double = 11,
}

/// <summary>One attribute of an ONNX node.</summary>
internal readonly record struct OnnxNodeAttribute(string Name, long? Int = null, IReadOnlyList<long>? Ints = null)
{
    public static OnnxNodeAttribute Of(string name, long value) => new(name, Int: value);

    public static OnnxNodeAttribute List(string name, params long[] values) => new(name, Ints: values);
}

/// <summary>
/// Builds an ONNX model (onnx.proto: ModelProto with one GraphProto) node by node: graph inputs and outputs with their
/// shapes (a symbolic batch dimension allowed), constant initializers, and nodes of the default operator set. Values
/// are named <c>v0</c>, <c>v1</c>, ... unless a node is given its output's name (the graph outputs).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The symbolic batch dimension of inputs and outputs.</summary>
    public const long BatchDimension = -1;

    // IR version 8 goes with operator set 17 (onnx/onnx docs/Versioning.md); ONNX Runtime 1.31 reads both.
    private const long IrVersion = 8;
    private const long OperatorSet = 17;

    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private int _nextValue;

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="type">Its element type.</param>
    /// <param name="shape">Its dimensions; <see cref="BatchDimension"/> for the symbolic batch size.</param>
    public string Input(string name, OnnxElementType type, params long[] shape)
    {
        _inputs.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares a graph output (a value some node produces under this name).</summary>
    public void Output(string name, OnnxElementType type, params long[] shape) => _outputs.Add(ValueInfo(name, type, shape));

    /// <summary>A float32 constant.</summary>
    public string Constant(float[] values, params long[] shape) => Initializer(OnnxElementType.Float, MemoryMarshal.AsBytes(values.AsSpan()), shape);

    /// <summary>A float64 constant.</summary>
    public string Constant(double[] values, params long[] shape) => Initializer(OnnxElementType.Double, MemoryMarshal.AsBytes(values.AsSpan()), shape);

    /// <summary>An int8 constant (quantized weights, their zero points).</summary>
    public string Constant(sbyte[] values, params long[] shape) => Initializer(OnnxElementType.Int8, MemoryMarshal.AsBytes(values.AsSpan()), shape);

    /// <summary>A uint8 constant (zero points of quantized activations).</summary>
    public string Constant(byte[] values, params long[] shape) => Initializer(OnnxElementType.UInt8, values, shape);

    /// <summary>An int32 constant (quantized biases, their zero points).</summary>
    public string Constant(int[] values, params long[] shape) => Initializer(OnnxElementType.Int32, MemoryMarshal.AsBytes(values.AsSpan()), shape);

    /// <summary>An int64 constant.</summary>
    public string Constant(long[] values, params long[] shape) => Initializer(OnnxElementType.Int64, MemoryMarshal.AsBytes(values.AsSpan()), shape);

    /// <summary>A one-dimensional int64 constant (shapes, axes, indices).</summary>
    public string Int64s(params long[] values) => Constant(values, values.Length);

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    /// <param name="opType">The operator (default domain).</param>
    /// <param name="inputs">Its inputs, in the operator's order.</param>
    /// <param name="attributes">Its attributes.</param>
    /// <param name="output">The output's name; a fresh one when null.</param>
    public string Node(string opType, IReadOnlyList<string> inputs, IReadOnlyList<OnnxNodeAttribute>? attributes = null, string? output = null)
    {
        output ??= NewName();
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(1, input); // NodeProto.input
        node.String(2, output) // NodeProto.output
            .String(3, output) // NodeProto.name: unique, as every output is
            .String(4, opType); // NodeProto.op_type
        foreach (var attribute in attributes ?? []) node.Message(5, Attribute(attribute));
        _nodes.Add(node);
        return output;
    }

    /// <summary>The model: the graph under <paramref name="graphName"/>, with the producer's name and version.</summary>
    public byte[] ToModel(string graphName, string producer, string producerVersion)
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes) graph.Message(1, node); // GraphProto.node
        graph.String(2, graphName);
        foreach (var initializer in _initializers) graph.Message(5, initializer);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);

        var operatorSet = new ProtoWriter().String(1, "").Varint(2, OperatorSet);
        var model = new ProtoWriter()
            .Varint(1, IrVersion)
            .String(2, producer)
            .String(3, producerVersion)
            .Message(7, graph)
            .Message(8, operatorSet);
        return model.Written.ToArray();
    }

    private string NewName() => "v" + (_nextValue++).ToString(CultureInfo.InvariantCulture);

    private string Initializer(OnnxElementType type, ReadOnlySpan<byte> littleEndianData, long[] shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export writes little-endian tensor data and needs a little-endian machine.");
        long count = shape.Aggregate(1L, (product, dim) => product * dim);
        int elementSize = type switch
        {
            OnnxElementType.Bool or OnnxElementType.UInt8 or OnnxElementType.Int8 => 1,
            OnnxElementType.Float or OnnxElementType.Int32 => 4,
            _ => 8,
        };
        if (count * elementSize != littleEndianData.Length)
            throw new ArgumentException($"A constant of shape [{string.Join(", ", shape)}] needs {count * elementSize} bytes, got {littleEndianData.Length}.");
        string name = NewName();
        var tensor = new ProtoWriter();
        foreach (long dim in shape) tensor.Varint(1, dim); // TensorProto.dims
        tensor.Varint(2, (long)type) // TensorProto.data_type
            .String(8, name) // TensorProto.name
            .Bytes(9, littleEndianData); // TensorProto.raw_data
        _initializers.Add(tensor);
        return name;
    }

    private static ProtoWriter Attribute(OnnxNodeAttribute attribute)
    {
        var proto = new ProtoWriter().String(1, attribute.Name); // AttributeProto.name
        if (attribute.Int is { } integer) proto.Varint(3, integer).Varint(20, 2); // i, type INT
        else if (attribute.Ints is { } ints)
        {
            foreach (long value in ints) proto.Varint(8, value); // ints
            proto.Varint(20, 7); // type INTS
        }
        else throw new ArgumentException($"Attribute '{attribute.Name}' has no value.", nameof(attribute));
        return proto;
    }

    private static ProtoWriter ValueInfo(string name, OnnxElementType type, long[] shape)
    {
        var dims = new ProtoWriter();
        foreach (long dim in shape)
        {
            // TensorShapeProto.dim: dim_value, or dim_param for the symbolic batch size.
            var dimension = dim == BatchDimension ? new ProtoWriter().String(2, "batch") : new ProtoWriter().Varint(1, dim);
            dims.Message(1, dimension);
        }
        var tensorType = new ProtoWriter().Varint(1, (long)type).Message(2, dims); // TypeProto.Tensor: elem_type, shape
        var typeProto = new ProtoWriter().Message(1, tensorType); // TypeProto.tensor_type
        return new ProtoWriter().String(1, name).Message(2, typeProto); // ValueInfoProto: name, type
    }
}
