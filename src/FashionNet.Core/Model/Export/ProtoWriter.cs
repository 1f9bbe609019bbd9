using System.Text;

namespace FashionNet.Model.Export;

/// <summary>
/// Writes one protobuf message in the wire format (the counterpart of <see cref="Pretrained.OnnxModelReader"/>'s
/// reader): varint and length-delimited fields, appended to a growing buffer. A nested message is written
/// into its own writer first, so that its length is known when it is embedded.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintWire = 0;
    private const int LengthDelimitedWire = 2;

    private readonly MemoryStream _buffer = new();

    /// <summary>The message written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);

    /// <summary>An integer field (int32, int64 or enum: negative values take ten bytes, as protobuf specifies).</summary>
    public ProtoWriter Varint(int field, long value)
    {
        Key(field, VarintWire);
        WriteVarint((ulong)value);
        return this;
    }

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimitedWire);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A string field (UTF-8).</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>An embedded message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.Written);

    private void Key(int field, int wire) => WriteVarint((ulong)((field << 3) | wire));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}
