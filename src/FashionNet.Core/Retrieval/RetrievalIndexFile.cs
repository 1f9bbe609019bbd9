using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using FashionNet.IO;

namespace FashionNet.Retrieval;

/// <summary>One contiguous part of an index file with the XxHash64 of its bytes.</summary>
internal readonly record struct IndexSection(string Name, long Offset, long Length, ulong Checksum)
{
    public long End => Offset + Length;
}

/// <summary>The decoded header of an index file.</summary>
internal sealed record IndexHeader(int Length, int Dimension, int Count, string ModelFingerprint, IndexSection Embeddings, IndexSection ItemIds,
    IndexSection ImagePaths, string? ModelPath);

/// <summary>
/// The retrieval index file format, version 2 (version 1 is read too). All numbers little-endian.
/// <code>
///   0  magic          8 bytes: 0x89 'F' 'N' 'I' 'D' 'X' '\r' '\n' (the 0x89 and line ends catch text-mode copies)
///   8  version        u32 (2)
///  12  header length  u32, H: bytes from 0 to the end of the header checksum
///  16  dimension      i32
///  20  count          i32
///  24  embeddings     i64 offset, i64 length, u64 XxHash64 of the section
///  48  item ids       i64 offset, i64 length, u64 XxHash64
///  72  image paths    i64 offset, i64 length, u64 XxHash64
///  96  fingerprint    i32 byte length n, then n bytes of UTF-8
/// 100+n model path    i32 byte length m, then m bytes of UTF-8 (version 2 only; m = 0 when unknown)
/// H-8  header checksum u64: XxHash64 of bytes 0 .. H-8
/// </code>
/// Version 2 added the model path: where the model that built the index was loaded from (e.g. its checkpoint), so a
/// reader can load it without being told. A version 1 header is the same without that field.
/// The embeddings section starts at a 64-byte boundary and holds count x dimension float32 values, row-major, so it can
/// be read in place from a memory map. Each string section holds count + 1 i64 offsets into the UTF-8 text that
/// follows them (the first 0, the last the text length), then the text.
/// </summary>
internal static class RetrievalIndexFile
{
    public const uint FormatVersion = 2;
    private const uint FirstFormatVersion = 1;
    public const int MaxFingerprintBytes = 4096;
    public const int MaxModelPathBytes = 4096;
    // Version 1's fixed part: up to the fingerprint length, plus the checksum. Version 2 adds the model path's length.
    private const int FixedHeaderLengthV1 = 100 + sizeof(ulong);
    public const int FixedHeaderLength = FixedHeaderLengthV1 + sizeof(int);
    public const int MaxHeaderLength = FixedHeaderLength + MaxFingerprintBytes + MaxModelPathBytes;
    private const int FingerprintOffset = 100;
    private const int EmbeddingAlignment = 64;

    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'F', (byte)'N', (byte)'I', (byte)'D', (byte)'X', (byte)'\r', (byte)'\n'];

    public const string EmbeddingsSection = "embeddings";
    public const string ItemIdsSection = "item ids";
    public const string ImagePathsSection = "image paths";
    public const string HeaderSection = "header";

    /// <summary>Test hook: called with each section's name once it is in the temporary file, the header last (per async flow, so parallel tests do not see each other's).</summary>
    internal static readonly AsyncLocal<Action<string>?> SectionWritten = new();

    /// <summary>
    /// Writes a complete index atomically: the embeddings of <paramref name="leadingEmbeddings"/> (raw float32 bytes,
    /// e.g. an existing index's section) followed by <paramref name="embeddings"/>.
    /// </summary>
    public static void Write(string path, string modelFingerprint, string? modelPath, int dimension, IReadOnlyList<string> itemIds,
        IReadOnlyList<string> imagePaths, Stream? leadingEmbeddings, ReadOnlyMemory<float> embeddings)
    {
        RequireLittleEndian();
        byte[] fingerprint = Encoding.UTF8.GetBytes(modelFingerprint);
        if (fingerprint.Length > MaxFingerprintBytes)
            throw new ArgumentException($"The model fingerprint is {fingerprint.Length} bytes of UTF-8; at most {MaxFingerprintBytes} are allowed.",
                nameof(modelFingerprint));
        byte[] modelPathBytes = Encoding.UTF8.GetBytes(modelPath ?? "");
        if (modelPathBytes.Length > MaxModelPathBytes)
            throw new ArgumentException($"The model path is {modelPathBytes.Length} bytes of UTF-8; at most {MaxModelPathBytes} are allowed.", nameof(modelPath));
        int count = itemIds.Count;
        long embeddingBytes = (long)count * dimension * sizeof(float);
        if ((leadingEmbeddings?.Length ?? 0) + (long)embeddings.Length * sizeof(float) != embeddingBytes)
            throw new ArgumentException($"The embeddings do not make {count} rows of dimension {dimension}.", nameof(embeddings));

        int headerLength = FixedHeaderLength + fingerprint.Length + modelPathBytes.Length;
        long embeddingsOffset = (headerLength + EmbeddingAlignment - 1) / EmbeddingAlignment * EmbeddingAlignment;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[embeddingsOffset]);
            var hash = new XxHash64();
            if (leadingEmbeddings is not null) CopyHashed(leadingEmbeddings, stream, hash);
            WriteHashed(stream, hash, MemoryMarshal.AsBytes(embeddings.Span));
            var embeddingSection = new IndexSection(EmbeddingsSection, embeddingsOffset, embeddingBytes, hash.GetCurrentHashAsUInt64());
            SectionWritten.Value?.Invoke(EmbeddingsSection);
            var itemIdSection = WriteStrings(stream, ItemIdsSection, itemIds);
            SectionWritten.Value?.Invoke(ItemIdsSection);
            var imagePathSection = WriteStrings(stream, ImagePathsSection, imagePaths);
            SectionWritten.Value?.Invoke(ImagePathsSection);

            stream.Position = 0;
            stream.Write(EncodeHeader(new IndexHeader(headerLength, dimension, count, modelFingerprint, embeddingSection, itemIdSection,
                imagePathSection, modelPath), fingerprint, modelPathBytes));
            SectionWritten.Value?.Invoke(HeaderSection);
        });
    }

    /// <summary>
    /// Decodes and checks the header against the file length. Throws <see cref="RetrievalIndexException"/> for a foreign
    /// file, an unsupported version, a damaged header or a truncated file.
    /// </summary>
    public static IndexHeader ReadHeader(string path, ReadOnlySpan<byte> start, long fileLength)
    {
        RequireLittleEndian();
        var magic = Magic;
        int comparable = (int)Math.Min(magic.Length, start.Length);
        if (!start[..comparable].SequenceEqual(magic[..comparable]))
            throw new RetrievalIndexException(path, "not a FashionNet retrieval index (the file does not start with the index signature).");
        if (fileLength < FixedHeaderLengthV1)
            throw new RetrievalIndexException(path, $"truncated: the file has {fileLength} bytes, fewer than the {FixedHeaderLengthV1} of the smallest header.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
        if (version is < FirstFormatVersion or > FormatVersion)
            throw new RetrievalIndexException(path,
                $"format version {version} is not supported (this library reads versions {FirstFormatVersion} to {FormatVersion}).");
        int fixedLength = version == FirstFormatVersion ? FixedHeaderLengthV1 : FixedHeaderLength;
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(start[12..]);
        if (headerLength < fixedLength || headerLength > MaxHeaderLength)
            throw new RetrievalIndexException(path, $"the header is corrupt (it claims a length of {headerLength} bytes).");
        if (headerLength > fileLength)
            throw new RetrievalIndexException(path, $"truncated: the file has {fileLength} bytes, fewer than its {headerLength}-byte header.");

        var header = start[..(int)headerLength];
        ulong storedChecksum = BinaryPrimitives.ReadUInt64LittleEndian(header[^sizeof(ulong)..]);
        if (XxHash64.HashToUInt64(header[..^sizeof(ulong)]) != storedChecksum)
            throw new RetrievalIndexException(path, "checksum mismatch in the header: the file is corrupt.");

        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        int fingerprintLength = BinaryPrimitives.ReadInt32LittleEndian(header[96..]);
        // Version 1 ends with the fingerprint; version 2 follows it with the model path, and the two fill the header.
        int variableLength = (int)headerLength - fixedLength;
        int modelPathLength = fingerprintLength >= 0 && fingerprintLength <= variableLength && version != FirstFormatVersion
            ? BinaryPrimitives.ReadInt32LittleEndian(header[(FingerprintOffset + fingerprintLength)..])
            : 0;
        if (dimension < 1 || count < 0 || fingerprintLength < 0 || modelPathLength < 0 || fingerprintLength + (long)modelPathLength != variableLength)
            throw new RetrievalIndexException(path,
                $"the header is inconsistent (dimension {dimension}, count {count}, fingerprint of {fingerprintLength} bytes, model path of {modelPathLength} bytes).");
        int modelPathOffset = FingerprintOffset + fingerprintLength + sizeof(int);
        var parsed = new IndexHeader((int)headerLength, dimension, count,
            Encoding.UTF8.GetString(header.Slice(FingerprintOffset, fingerprintLength)),
            ReadSection(header[24..], EmbeddingsSection), ReadSection(header[48..], ItemIdsSection), ReadSection(header[72..], ImagePathsSection),
            modelPathLength > 0 ? Encoding.UTF8.GetString(header.Slice(modelPathOffset, modelPathLength)) : null);

        if (parsed.Embeddings.Length != (long)count * dimension * sizeof(float))
            throw new RetrievalIndexException(path,
                $"the embeddings section holds {parsed.Embeddings.Length} bytes, not the {(long)count * dimension * sizeof(float)} of {count} x {dimension} float32 values.");
        foreach (var section in new[] { parsed.Embeddings, parsed.ItemIds, parsed.ImagePaths })
        {
            if (section.Offset < headerLength || section.Length < 0)
                throw new RetrievalIndexException(path, $"the header places section '{section.Name}' inside the header.");
            if (section.End > fileLength)
                throw new RetrievalIndexException(path,
                    $"truncated: section '{section.Name}' ends at byte {section.End}, but the file has {fileLength} bytes.");
        }

        return parsed;
    }

    /// <summary>Throws <see cref="RetrievalIndexException"/> naming the section when its bytes do not match its checksum.</summary>
    public static unsafe void VerifyChecksum(string path, byte* fileStart, IndexSection section)
    {
        var hash = new XxHash64();
        for (long done = 0; done < section.Length;)
        {
            int chunk = (int)Math.Min(section.Length - done, 1 << 30);
            hash.Append(new ReadOnlySpan<byte>(fileStart + section.Offset + done, chunk));
            done += chunk;
        }

        if (hash.GetCurrentHashAsUInt64() != section.Checksum)
            throw new RetrievalIndexException(path, $"checksum mismatch in section '{section.Name}': the file is corrupt.");
    }

    /// <summary>Checks that a string section's offsets are ordered and end at its text length.</summary>
    public static unsafe void VerifyStringOffsets(string path, byte* fileStart, IndexSection section, int count)
    {
        long offsetsLength = (count + 1L) * sizeof(long);
        if (section.Length < offsetsLength)
            throw new RetrievalIndexException(path, $"section '{section.Name}' is too short for the offsets of {count} strings.");
        long textLength = section.Length - offsetsLength;
        long previous = 0;
        for (int i = 0; i <= count; i++)
        {
            long offset = ReadOffset(fileStart, section, i);
            if ((i == 0 && offset != 0) || offset < previous || offset > textLength || (i == count && offset != textLength))
                throw new RetrievalIndexException(path, $"section '{section.Name}' has a corrupt offset table at entry {i}.");
            previous = offset;
        }
    }

    /// <summary>String <paramref name="index"/> of a checked string section.</summary>
    public static unsafe string ReadString(byte* fileStart, IndexSection section, int count, int index)
    {
        long start = ReadOffset(fileStart, section, index);
        long end = ReadOffset(fileStart, section, index + 1);
        byte* text = fileStart + section.Offset + (count + 1L) * sizeof(long);
        return Encoding.UTF8.GetString(text + start, checked((int)(end - start)));
    }

    private static unsafe long ReadOffset(byte* fileStart, IndexSection section, int index) =>
        BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(fileStart + section.Offset + (long)index * sizeof(long), sizeof(long)));

    private static IndexSection ReadSection(ReadOnlySpan<byte> fields, string name) => new(
        name,
        BinaryPrimitives.ReadInt64LittleEndian(fields),
        BinaryPrimitives.ReadInt64LittleEndian(fields[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(fields[16..]));

    private static byte[] EncodeHeader(IndexHeader header, byte[] fingerprint, byte[] modelPath)
    {
        var bytes = new byte[header.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)header.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), header.Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), header.Count);
        WriteSection(bytes.AsSpan(24), header.Embeddings);
        WriteSection(bytes.AsSpan(48), header.ItemIds);
        WriteSection(bytes.AsSpan(72), header.ImagePaths);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(96), fingerprint.Length);
        fingerprint.CopyTo(bytes.AsSpan(FingerprintOffset));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(FingerprintOffset + fingerprint.Length), modelPath.Length);
        modelPath.CopyTo(bytes.AsSpan(FingerprintOffset + fingerprint.Length + sizeof(int)));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(header.Length - sizeof(ulong)), XxHash64.HashToUInt64(bytes.AsSpan(0, header.Length - sizeof(ulong))));
        return bytes;
    }

    private static void WriteSection(Span<byte> fields, IndexSection section)
    {
        BinaryPrimitives.WriteInt64LittleEndian(fields, section.Offset);
        BinaryPrimitives.WriteInt64LittleEndian(fields[8..], section.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[16..], section.Checksum);
    }

    private static IndexSection WriteStrings(Stream stream, string name, IReadOnlyList<string> strings)
    {
        long sectionOffset = stream.Position;
        var encoded = strings.Select(Encoding.UTF8.GetBytes).ToArray();
        var hash = new XxHash64();
        Span<byte> number = stackalloc byte[sizeof(long)];
        long textOffset = 0;
        for (int i = 0; i <= encoded.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, textOffset);
            WriteHashed(stream, hash, number);
            if (i < encoded.Length) textOffset += encoded[i].Length;
        }

        foreach (byte[] text in encoded) WriteHashed(stream, hash, text);
        return new IndexSection(name, sectionOffset, stream.Position - sectionOffset, hash.GetCurrentHashAsUInt64());
    }

    private static void CopyHashed(Stream source, Stream destination, XxHash64 hash)
    {
        var buffer = new byte[1 << 20];
        int read;
        while ((read = source.Read(buffer)) > 0) WriteHashed(destination, hash, buffer.AsSpan(0, read));
    }

    private static void WriteHashed(Stream stream, XxHash64 hash, ReadOnlySpan<byte> bytes)
    {
        hash.Append(bytes);
        stream.Write(bytes);
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Retrieval index files are read and written on little-endian machines only.");
    }
}
