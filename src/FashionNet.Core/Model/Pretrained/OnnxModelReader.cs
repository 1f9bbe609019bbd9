using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace FashionNet.Model.Pretrained;

/// <summary>One attribute of an ONNX node: only the kinds the importers read.</summary>
internal sealed record OnnxAttribute(string Name, long? Int, float? Float, string? String, IReadOnlyList<long> Ints);

/// <summary>One node of an ONNX graph.</summary>
internal sealed record OnnxNode(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>The integer-list attribute <paramref name="name"/>, or <paramref name="fallback"/> when the node has none.</summary>
    public IReadOnlyList<long> Ints(string name, IReadOnlyList<long> fallback) =>
        Attributes.TryGetValue(name, out var attribute) ? attribute.Ints : fallback;
}

/// <summary>A float32 initializer of an ONNX graph: its shape and its little-endian data.</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, ReadOnlyMemory<byte> Data)
{
    /// <summary>A new CPU float32 tensor with a copy of the data.</summary>
    public Tensor ToTensor()
    {
        var values = new float[Data.Length / sizeof(float)];
        var bytes = Data.Span;
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * sizeof(float)));
        return tensor(values, Dims, device: CPU);
    }
}

/// <summary>The parts of an ONNX graph the importers use: nodes in file (topological) order and float initializers.</summary>
internal sealed record OnnxGraph(IReadOnlyList<OnnxNode> Nodes, IReadOnlyDictionary<string, OnnxTensor> Initializers);

/// <summary>
/// A minimal reader of the ONNX protobuf format (onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto,
/// TensorProto), reading only the fields the weight importers need and skipping the rest.
/// </summary>
internal static class OnnxModelReader
{
    private const int FloatDataType = 1;

    /// <summary>Reads the graph of the ONNX model file at <paramref name="path"/>.</summary>
    public static OnnxGraph ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' not found.", path);
        try
        {
            return Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX model: {e.Message}", e);
        }
    }

    /// <summary>Reads the graph of an ONNX model held in memory.</summary>
    public static OnnxGraph Read(ReadOnlyMemory<byte> model)
    {
        var reader = new ProtoReader(model);
        ReadOnlyMemory<byte>? graph = null;
        while (reader.Next(out int field, out var wire))
        {
            if (field == 7 && wire == WireType.LengthDelimited) graph = reader.ReadBytes(); // ModelProto.graph
            else reader.Skip(wire);
        }
        if (graph is null) throw new InvalidDataException("the model has no graph.");
        return ReadGraph(graph.Value);
    }

    private static OnnxGraph ReadGraph(ReadOnlyMemory<byte> graph)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var reader = new ProtoReader(graph);
        while (reader.Next(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) nodes.Add(ReadNode(reader.ReadBytes())); // GraphProto.node
            else if (field == 5 && wire == WireType.LengthDelimited) // GraphProto.initializer
            {
                var tensor = ReadTensor(reader.ReadBytes());
                if (tensor is not null && !initializers.TryAdd(tensor.Name, tensor))
                    throw new InvalidDataException($"initializer '{tensor.Name}' appears twice.");
            }
            else reader.Skip(wire);
        }
        return new OnnxGraph(nodes, initializers);
    }

    private static OnnxNode ReadNode(ReadOnlyMemory<byte> node)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string opType = "";
        var reader = new ProtoReader(node);
        while (reader.Next(out int field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): inputs.Add(reader.ReadString()); break;
                case (2, WireType.LengthDelimited): outputs.Add(reader.ReadString()); break;
                case (4, WireType.LengthDelimited): opType = reader.ReadString(); break;
                case (5, WireType.LengthDelimited):
                    var attribute = ReadAttribute(reader.ReadBytes());
                    attributes[attribute.Name] = attribute;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(opType, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ReadOnlyMemory<byte> attribute)
    {
        string name = "";
        long? integer = null;
        float? single = null;
        string? text = null;
        var ints = new List<long>();
        var reader = new ProtoReader(attribute);
        while (reader.Next(out int field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): name = reader.ReadString(); break;
                case (2, WireType.Fixed32): single = BitConverter.Int32BitsToSingle((int)reader.ReadFixed32()); break;
                case (3, WireType.Varint): integer = (long)reader.ReadVarint(); break;
                case (4, WireType.LengthDelimited): text = reader.ReadString(); break;
                case (8, WireType.Varint): ints.Add((long)reader.ReadVarint()); break;
                case (8, WireType.LengthDelimited): reader.ReadPackedVarints(ints); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, integer, single, text, ints);
    }

    /// <summary>A float32 initializer, or null for other data types (the importers use none).</summary>
    private static OnnxTensor? ReadTensor(ReadOnlyMemory<byte> tensor)
    {
        var dims = new List<long>();
        long dataType = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default;
        var floats = new List<float>();
        var reader = new ProtoReader(tensor);
        while (reader.Next(out int field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.Varint): dims.Add((long)reader.ReadVarint()); break;
                case (1, WireType.LengthDelimited): reader.ReadPackedVarints(dims); break;
                case (2, WireType.Varint): dataType = (long)reader.ReadVarint(); break;
                case (4, WireType.Fixed32): floats.Add(BitConverter.Int32BitsToSingle((int)reader.ReadFixed32())); break;
                case (4, WireType.LengthDelimited): raw = reader.ReadBytes(); break; // packed float_data: same bytes as raw_data
                case (8, WireType.LengthDelimited): name = reader.ReadString(); break;
                case (9, WireType.LengthDelimited): raw = reader.ReadBytes(); break;
                case (14, WireType.Varint):
                    if (reader.ReadVarint() != 0) throw new InvalidDataException($"initializer '{name}' keeps its data in an external file, which is not supported.");
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (dataType != FloatDataType) return null;
        if (floats.Count > 0)
        {
            var bytes = new byte[floats.Count * sizeof(float)];
            for (int i = 0; i < floats.Count; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), floats[i]);
            raw = bytes;
        }
        long expected = dims.Aggregate(1L, (product, dim) => product * dim);
        if (raw.Length != expected * sizeof(float))
        {
            throw new InvalidDataException(
                $"initializer '{name}' of shape [{string.Join(", ", dims)}] holds {raw.Length} bytes, expected {expected * sizeof(float)}.");
        }
        return new OnnxTensor(name, dims.ToArray(), raw);
    }

    private enum WireType
    {
        Varint = 0,
        Fixed64 = 1,
        LengthDelimited = 2,
        Fixed32 = 5,
    }

    /// <summary>Sequential reader of protobuf fields over one message's bytes.</summary>
    private struct ProtoReader(ReadOnlyMemory<byte> data)
    {
        private readonly ReadOnlyMemory<byte> data = data;
        private int position;

        private readonly bool AtEnd => position >= data.Length;

        public bool Next(out int field, out WireType wire)
        {
            if (AtEnd)
            {
                field = 0;
                wire = WireType.Varint;
                return false;
            }
            ulong key = ReadVarint();
            field = (int)(key >> 3);
            wire = (WireType)(key & 7);
            if (field == 0 || wire is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
                throw new InvalidDataException($"bad protobuf field key {key} at byte {position}.");
            return true;
        }

        public ulong ReadVarint()
        {
            var span = data.Span;
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (position >= span.Length) throw new InvalidDataException("truncated varint.");
                byte b = span[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new InvalidDataException($"varint longer than 10 bytes at byte {position}.");
        }

        public uint ReadFixed32()
        {
            Require(4);
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(data.Span.Slice(position));
            position += 4;
            return value;
        }

        public ReadOnlyMemory<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(data.Length - position)) throw new InvalidDataException($"field of {length} bytes runs past the end at byte {position}.");
            var slice = data.Slice(position, (int)length);
            position += (int)length;
            return slice;
        }

        public string ReadString() => Encoding.UTF8.GetString(ReadBytes().Span);

        public void ReadPackedVarints(List<long> into)
        {
            var packed = new ProtoReader(ReadBytes());
            while (!packed.AtEnd) into.Add((long)packed.ReadVarint());
        }

        public void Skip(WireType wire)
        {
            switch (wire)
            {
                case WireType.Varint: ReadVarint(); break;
                case WireType.Fixed64: Require(8); position += 8; break;
                case WireType.LengthDelimited: ReadBytes(); break;
                case WireType.Fixed32: Require(4); position += 4; break;
            }
        }

        private readonly void Require(int bytes)
        {
            if (data.Length - position < bytes) throw new InvalidDataException($"truncated field at byte {position}.");
        }
    }
}
