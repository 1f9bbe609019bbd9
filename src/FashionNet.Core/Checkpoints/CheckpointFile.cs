using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using FashionNet.Data.Imaging;
using FashionNet.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Checkpoints;

/// <summary>Where a training run stands; saved in every checkpoint so a resumed run continues exactly.</summary>
/// <param name="Stage">Training stage (1 = landmarks weighted high, 2 = retrieval from the best stage-1 model).</param>
/// <param name="Epoch">Number of epochs of this stage completed.</param>
/// <param name="GlobalStep">Optimizer steps taken so far in this stage.</param>
/// <param name="BestMetric">Best validation metric seen so far in this stage, if any.</param>
public sealed record TrainingProgress(int Stage, int Epoch, long GlobalStep, double? BestMetric);

/// <summary>Descriptive part of a checkpoint, readable without loading any tensor.</summary>
/// <param name="ModelFingerprint">Identifies the architecture and options the weights belong to; loading checks it.</param>
/// <param name="ConfigJson">The training configuration of the run, as JSON.</param>
/// <param name="Progress">Where the run stands.</param>
/// <param name="SavedAtUtc">When the checkpoint was written.</param>
/// <param name="Metrics">Validation metrics of these weights, when they were validated.</param>
public sealed record CheckpointMetadata(
    string ModelFingerprint, string ConfigJson, TrainingProgress Progress, DateTimeOffset SavedAtUtc, IReadOnlyDictionary<string, double>? Metrics = null);

/// <summary>A checkpoint file that cannot be used: foreign, truncated, corrupt, or for another model.</summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The checkpoint file.</param>
    /// <param name="problem">What is wrong with it.</param>
    public CheckpointFormatException(string filePath, string problem)
        : base($"Checkpoint '{filePath}': {problem}")
    {
        FilePath = filePath;
    }

    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; }
}

/// <summary>
/// One file holding a trained model and everything needed to resume its training: model weights, the input
/// normalizer the model was trained with (so the file alone is enough to embed images), optimizer state, the torch
/// random generator state and <see cref="CheckpointMetadata"/>.
/// </summary>
/// <remarks>
/// Layout: the magic <c>FNETCKPT</c>, a format version, a section count, then per section its name, length, XxHash64
/// of its bytes and the bytes, and finally the end marker <c>FNETEND!</c>. Files are written atomically; loading
/// verifies every section before it touches the model, so a bad file never leaves a half-loaded model.
/// </remarks>
public static class CheckpointFile
{
    /// <summary>
    /// The format version this library writes and reads: 2 added the normalizer section. Version 1 files are refused
    /// with a message naming their version (they lack the normalizer an inference-only load needs).
    /// </summary>
    public const int FormatVersion = 2;

    private static readonly byte[] Magic = "FNETCKPT"u8.ToArray();
    private static readonly byte[] EndMarker = "FNETEND!"u8.ToArray();
    private const string MetadataSection = "metadata", ModelSection = "model", NormalizerSection = "normalizer", OptimizerSection = "optimizer",
        RngSection = "torch-rng";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Test hook: called with each section's name after the section has been streamed into the temporary file (per async flow, so parallel tests do not see each other's).</summary>
    internal static readonly AsyncLocal<Action<string>?> SectionWritten = new();

    /// <summary>Writes a checkpoint atomically (temporary file, flush, rename).</summary>
    /// <param name="path">The checkpoint file to create or replace.</param>
    /// <param name="model">The model whose parameters and buffers are saved.</param>
    /// <param name="normalizer">The input normalization the model expects.</param>
    /// <param name="optimizer">The optimizer whose state is saved, or null.</param>
    /// <param name="metadata">Progress, configuration and model fingerprint.</param>
    public static void Save(string path, nn.Module model, IImageNormalizer normalizer, OptimizerHelper? optimizer, CheckpointMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalizer);
        ArgumentNullException.ThrowIfNull(metadata);

        var sections = new List<(string Name, Action<Stream> Write)>
        {
            (MetadataSection, stream => JsonSerializer.Serialize(stream, metadata, JsonOptions)),
            (ModelSection, stream => model.save(stream)),
            (NormalizerSection, stream => ImageNormalizerFormat.Write(stream, normalizer)),
            (RngSection, stream =>
            {
                using var state = random.get_rng_state();
                stream.Write(state.bytes);
            }),
        };
        if (optimizer is not null)
            sections.Add((OptimizerSection, stream => optimizer.save_state_dict(new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))));

        AtomicFile.Write(path, file =>
        {
            using var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(sections.Count);
            foreach (var (name, write) in sections)
            {
                writer.Write(name);
                writer.Flush();
                // Sections stream straight into the file (a model can be hundreds of MB); their length and hash are
                // filled in afterwards, in the 16 bytes reserved before them.
                long lengthAt = file.Position;
                writer.Write(0L);
                writer.Write(0UL);
                writer.Flush();
                var hashing = new HashingStream(file);
                write(hashing);
                hashing.Flush();
                long end = file.Position;
                file.Position = lengthAt;
                writer.Write(hashing.Length);
                writer.Write(hashing.Hash.GetCurrentHashAsUInt64());
                writer.Flush();
                file.Position = end;
                SectionWritten.Value?.Invoke(name);
            }
            writer.Write(EndMarker);
        });
    }

    /// <summary>Reads and verifies a checkpoint's metadata without loading any weights.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="CheckpointFormatException">The file is foreign, truncated or corrupt.</exception>
    public static CheckpointMetadata ReadMetadata(string path) => ParseMetadata(path, ReadSections(path));

    /// <summary>
    /// Loads a checkpoint's weights into <paramref name="model"/> for inference or fine-tuning, and returns the metadata.
    /// Nothing else changes: the global random state stays as it is. Everything is verified first: on any error the
    /// model is untouched.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the same architecture as the one saved.</param>
    /// <param name="expectedModelFingerprint">When given, the checkpoint must have been saved from this model.</param>
    /// <exception cref="CheckpointFormatException">The file is foreign, truncated, corrupt, of another version, or for another model.</exception>
    public static CheckpointMetadata LoadWeights(string path, nn.Module model, string? expectedModelFingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (sections, metadata) = Verified(path, expectedModelFingerprint);
        byte[] modelBytes = Require(path, sections, ModelSection);
        Restore(path, () => LoadStateInPlace(modelBytes, model));
        return metadata;
    }

    /// <summary>
    /// Restores a training run from a checkpoint: the weights, the optimizer state and the global torch random
    /// generator, so the run continues exactly where the checkpoint was written. Everything is verified first.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the same architecture as the one saved.</param>
    /// <param name="optimizer">The optimizer of that model.</param>
    /// <param name="expectedModelFingerprint">The checkpoint must have been saved from this model.</param>
    /// <exception cref="CheckpointFormatException">The file is foreign, truncated, corrupt, of another version, for another model, or has no optimizer state.</exception>
    public static CheckpointMetadata Resume(string path, nn.Module model, OptimizerHelper optimizer, string expectedModelFingerprint)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentException.ThrowIfNullOrEmpty(expectedModelFingerprint);
        var (sections, metadata) = Verified(path, expectedModelFingerprint);
        byte[] modelBytes = Require(path, sections, ModelSection);
        byte[] optimizerBytes = Require(path, sections, OptimizerSection);
        byte[] rngBytes = Require(path, sections, RngSection);
        Restore(path, () =>
        {
            LoadStateInPlace(modelBytes, model);
            using (var reader = new BinaryReader(new MemoryStream(optimizerBytes, writable: false)))
                optimizer.load_state_dict(reader);
            using var rngState = tensor(rngBytes, dtype: ScalarType.Byte, device: CPU);
            random.set_rng_state(rngState);
        });
        return metadata;
    }

    /// <summary>The input normalizer stored with the model.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="CheckpointFormatException">The file is foreign, truncated, corrupt or of another version.</exception>
    public static IImageNormalizer ReadNormalizer(string path)
    {
        var sections = ReadSections(path);
        try
        {
            using var stream = new MemoryStream(Require(path, sections, NormalizerSection), writable: false);
            return ImageNormalizerFormat.Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, $"the normalizer section is not valid: {e.Message}");
        }
    }

    private static (Dictionary<string, byte[]> Sections, CheckpointMetadata Metadata) Verified(string path, string? expectedModelFingerprint)
    {
        var sections = ReadSections(path);
        var metadata = ParseMetadata(path, sections);
        if (expectedModelFingerprint is not null && metadata.ModelFingerprint != expectedModelFingerprint)
            throw new CheckpointFormatException(path,
                $"it was saved from a different model ('{metadata.ModelFingerprint}'), not '{expectedModelFingerprint}'.");
        return (sections, metadata);
    }

    /// <summary>
    /// Reads a module's state as <c>Module.save</c> wrote it into the module's own tensors: every entry is read and
    /// checked against the module first, then all are copied in place. TorchSharp's <c>Module.load</c> would move a CUDA
    /// module to the CPU and back, which replaces its parameters and leaves an optimizer holding disposed tensors.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entries are not the module's: count or name.</exception>
    /// <exception cref="ArgumentException">An entry's dtype or shape differs from the module's tensor.</exception>
    private static void LoadStateInPlace(byte[] state, nn.Module model)
    {
        var targets = model.state_dict();
        using var reader = new BinaryReader(new MemoryStream(state, writable: false));
        long count = ReadLeb128(reader);
        if (count != targets.Count)
            throw new InvalidOperationException($"the checkpoint holds {count} tensors, the model {targets.Count}.");
        using var scope = NewDisposeScope();
        var loaded = new List<(Tensor Target, Tensor Value)>(targets.Count);
        for (long i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            if (!targets.TryGetValue(name, out var target))
                throw new InvalidOperationException($"the model has no tensor '{name}'.");
            // Read into a CPU tensor of the model tensor's dtype and shape (TorchSharp checks both against the stream).
            Tensor? value = empty(target.shape, target.dtype, CPU);
            try
            {
                TorchSharp.TensorExtensionMethods.Load(ref value, reader);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"'{name}': {e.Message}", e);
            }
            loaded.Add((target, value!));
        }
        using (no_grad())
        {
            foreach (var (target, value) in loaded)
                target.copy_(value);
        }
    }

    /// <summary>An unsigned LEB128 integer: <c>Module.save</c>'s encoding of its entry count.</summary>
    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte next = reader.ReadByte();
            value |= (long)(next & 0x7f) << shift;
            if ((next & 0x80) == 0) return value;
        }
        throw new InvalidOperationException("the entry count is not a valid LEB128 integer.");
    }

    private static void Restore(string path, Action restore)
    {
        try
        {
            restore();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new CheckpointFormatException(path, $"its weights do not fit this model: {e.Message}");
        }
    }

    /// <summary>A write-only pass-through that counts and hashes what goes to the file.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private long _length;

        public XxHash64 Hash { get; } = new();

        public override long Length => _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Hash.Append(buffer);
            inner.Write(buffer);
            _length += buffer.Length;
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static Dictionary<string, byte[]> ReadSections(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);

        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new CheckpointFormatException(path, "not a FashionNet checkpoint (wrong magic bytes).");
            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new CheckpointFormatException(path, version < FormatVersion
                    ? $"format version {version}, written by an older FashionNet.Core; this library reads version {FormatVersion} (it stores the input normalizer): train the model again."
                    : $"format version {version}; this library reads version {FormatVersion}: update FashionNet.Core.");
            }
            int count = reader.ReadInt32();
            if (count is < 1 or > 64) throw new CheckpointFormatException(path, $"implausible section count {count}.");

            var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long length = reader.ReadInt64();
                ulong expectedHash = reader.ReadUInt64();
                if (length < 0 || length > stream.Length - stream.Position)
                    throw new CheckpointFormatException(path, $"section '{name}' claims {length} bytes but the file ends first (truncated?).");
                byte[] bytes = reader.ReadBytes((int)length);
                if (XxHash64.HashToUInt64(bytes) != expectedHash)
                    throw new CheckpointFormatException(path, $"section '{name}' is corrupt (checksum mismatch).");
                if (!sections.TryAdd(name, bytes))
                    throw new CheckpointFormatException(path, $"section '{name}' appears twice.");
            }
            if (!reader.ReadBytes(EndMarker.Length).AsSpan().SequenceEqual(EndMarker))
                throw new CheckpointFormatException(path, "the end marker is missing (truncated or corrupt).");
            return sections;
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointFormatException(path, "the file ends in the middle of a section (truncated).");
        }
    }

    private static byte[] Require(string path, Dictionary<string, byte[]> sections, string name) =>
        sections.TryGetValue(name, out var bytes) ? bytes : throw new CheckpointFormatException(path, $"the '{name}' section is missing.");

    private static CheckpointMetadata ParseMetadata(string path, Dictionary<string, byte[]> sections)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckpointMetadata>(Require(path, sections, MetadataSection), JsonOptions)
                ?? throw new CheckpointFormatException(path, "the metadata section is empty.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"the metadata section is not valid: {e.Message}");
        }
    }
}
