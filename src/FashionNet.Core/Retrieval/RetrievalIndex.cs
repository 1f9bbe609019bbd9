using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FashionNet.Retrieval;

/// <summary>What a caller expects of an index it opens; a mismatch is a <see cref="RetrievalIndexException"/>.</summary>
public sealed record RetrievalIndexOpenOptions
{
    /// <summary>The fingerprint of the model whose embeddings the caller will search with; null accepts any.</summary>
    public string? ExpectedModelFingerprint { get; init; }

    /// <summary>The embedding dimension the caller will search with; null accepts any.</summary>
    public int? ExpectedDimension { get; init; }
}

/// <summary>One search result of a <see cref="RetrievalIndex"/>.</summary>
/// <param name="Rank">1 for the best match.</param>
/// <param name="Score">Cosine similarity or Euclidean distance, as the search's metric says.</param>
/// <param name="ItemId">The matched entry's item id.</param>
/// <param name="ImagePath">The matched entry's image path.</param>
/// <param name="EntryIndex">The matched entry's position in an index file; -1 from stores whose entries have no position.</param>
public readonly record struct RetrievalMatch(int Rank, float Score, string ItemId, string ImagePath, int EntryIndex)
{
    /// <summary>The matched entry's category; empty when unknown (an index file stores none).</summary>
    public string Category { get; init; } = "";
}

/// <summary>
/// A gallery of embeddings with their item ids and image paths, persisted in one checksummed file (format in
/// <c>RetrievalIndexFile</c>) and opened memory-mapped: the embedding block is read in place, not loaded. Every
/// section's checksum is verified when the index is opened. Searches use <see cref="SimilaritySearch"/>'s exact tiled
/// search, and may run from many threads at once. Disposing while searches run is safe: the mapping is released when
/// the last of them finishes; later calls throw <see cref="ObjectDisposedException"/>. As an <see cref="IGalleryStore"/> it is
/// the embedded default: it stores no categories, so it refuses a category filter.
/// </summary>
public sealed unsafe class RetrievalIndex : IGalleryStore
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeMemoryMappedViewHandle _handle;
    private readonly byte* _start;
    private readonly IndexHeader _header;
    private int _disposed;

    private RetrievalIndex(string filePath, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* start, IndexHeader header)
    {
        FilePath = filePath;
        _file = file;
        _view = view;
        _handle = view.SafeMemoryMappedViewHandle;
        _start = start;
        _header = header;
    }

    /// <summary>The index file.</summary>
    public string FilePath { get; }

    /// <summary>Identifies the model that produced the embeddings.</summary>
    public string ModelFingerprint => _header.ModelFingerprint;

    /// <summary>
    /// Where the model that built the index was loaded from (e.g. its checkpoint file), as recorded when the index was
    /// written; null when unknown (an index of format version 1, or a model that was not loaded from a file).
    /// </summary>
    public string? ModelPath => _header.ModelPath;

    /// <summary>Embedding dimension.</summary>
    public int Dimension => _header.Dimension;

    /// <summary>Number of entries.</summary>
    public int Count => _header.Count;

    string IGalleryStore.Location => FilePath;

    long IGalleryStore.Count => Count;

    /// <summary>Writes a new index file holding <paramref name="content"/>, replacing any file there, atomically.</summary>
    public static void Create(string path, RetrievalIndexContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        RetrievalIndexFile.Write(path, content.ModelFingerprint, content.ModelPath, content.Dimension, content.ItemIds, content.ImagePaths, null,
            content.Embeddings);
    }

    /// <summary>
    /// Adds entries to an existing index. The file is rewritten with the old entries followed by the new ones and replaces
    /// the old file atomically, so a reader never sees a half-appended index and every section stays checksummed; indexes
    /// already open keep reading the old version. The cost is a copy of the file per append, which suits catalogues
    /// updated in batches. The recorded model path becomes the content's, when it has one.
    /// </summary>
    /// <exception cref="RetrievalIndexException">The file is not a valid index, or was built by a different model or dimension.</exception>
    public static void Append(string path, RetrievalIndexContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var existing = Open(path, new RetrievalIndexOpenOptions
        {
            ExpectedModelFingerprint = content.ModelFingerprint,
            ExpectedDimension = content.Dimension,
        });
        if ((long)existing.Count + content.Count > int.MaxValue)
            throw new ArgumentException($"The index would exceed {int.MaxValue} entries.", nameof(content));
        var itemIds = Enumerable.Range(0, existing.Count).Select(existing.GetItemId).Concat(content.ItemIds).ToArray();
        var imagePaths = Enumerable.Range(0, existing.Count).Select(existing.GetImagePath).Concat(content.ImagePaths).ToArray();
        using var oldEmbeddings = new UnmanagedMemoryStream(existing._start + existing._header.Embeddings.Offset, existing._header.Embeddings.Length);
        RetrievalIndexFile.Write(path, content.ModelFingerprint, content.ModelPath ?? existing.ModelPath, content.Dimension, itemIds, imagePaths,
            oldEmbeddings, content.Embeddings);
    }

    /// <summary>Opens an index file memory-mapped, after checking its header, every section checksum and the caller's expectations.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="RetrievalIndexException">
    /// The file is corrupt, truncated, not an index, of an unsupported version, or does not meet <paramref name="options"/>.
    /// </exception>
    public static RetrievalIndex Open(string path, RetrievalIndexOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RetrievalIndexOpenOptions();
        string fullPath = Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        bool pointerAcquired = false;
        try
        {
            long length = stream.Length;
            var start = new byte[Math.Min(length, RetrievalIndexFile.MaxHeaderLength)];
            stream.ReadExactly(start);
            var header = RetrievalIndexFile.ReadHeader(fullPath, start, length);

            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointerAcquired = true;
            pointer += view.PointerOffset;

            foreach (var section in new[] { header.Embeddings, header.ItemIds, header.ImagePaths })
                RetrievalIndexFile.VerifyChecksum(fullPath, pointer, section);
            RetrievalIndexFile.VerifyStringOffsets(fullPath, pointer, header.ItemIds, header.Count);
            RetrievalIndexFile.VerifyStringOffsets(fullPath, pointer, header.ImagePaths, header.Count);
            if (options.ExpectedModelFingerprint is { } fingerprint && !string.Equals(fingerprint, header.ModelFingerprint, StringComparison.Ordinal))
                throw new RetrievalIndexException(fullPath,
                    $"built by a different model: its model fingerprint is '{header.ModelFingerprint}', expected '{fingerprint}'.");
            if (options.ExpectedDimension is { } dimension && dimension != header.Dimension)
                throw new RetrievalIndexException(fullPath, $"embeddings have dimension {header.Dimension}, expected {dimension}.");

            return new RetrievalIndex(fullPath, file, view, pointer, header);
        }
        catch
        {
            if (pointerAcquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            file?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The embedding of one entry, read in place from the mapped file; valid until the index is disposed.</summary>
    public ReadOnlySpan<float> GetEmbedding(int index)
    {
        CheckEntry(index);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new ReadOnlySpan<float>(_start + _header.Embeddings.Offset + (long)index * Dimension * sizeof(float), Dimension);
    }

    /// <summary>The item id of one entry.</summary>
    public string GetItemId(int index)
    {
        CheckEntry(index);
        using var lease = Lease();
        return RetrievalIndexFile.ReadString(_start, _header.ItemIds, Count, index);
    }

    /// <summary>The image path of one entry.</summary>
    public string GetImagePath(int index)
    {
        CheckEntry(index);
        using var lease = Lease();
        return RetrievalIndexFile.ReadString(_start, _header.ImagePaths, Count, index);
    }

    /// <summary>The <paramref name="top"/> entries nearest to one query embedding, best first.</summary>
    /// <param name="query">The query embedding, <see cref="Dimension"/> values, from the same model.</param>
    /// <param name="top">How many matches to return (fewer when the index is smaller).</param>
    /// <param name="options">Metric and tile sizes; <see cref="SimilaritySearchOptions.Default"/> (cosine) when null.</param>
    public IReadOnlyList<RetrievalMatch> Search(ReadOnlySpan<float> query, int top, SimilaritySearchOptions? options = null)
    {
        using var scope = NewDisposeScope();
        return Search(tensor(query.ToArray(), device: CPU).view(1, query.Length), top, options)[0];
    }

    /// <summary>The <paramref name="top"/> entries nearest to each of several query embeddings, best first.</summary>
    /// <param name="queries">Query embeddings, float32 <c>[queryCount, Dimension]</c>, from the same model.</param>
    /// <param name="top">How many matches per query (fewer when the index is smaller).</param>
    /// <param name="options">Metric and tile sizes; <see cref="SimilaritySearchOptions.Default"/> (cosine) when null.</param>
    public IReadOnlyList<IReadOnlyList<RetrievalMatch>> Search(Tensor queries, int top, SimilaritySearchOptions? options = null)
    {
        using var lease = Lease();
        if (Count == 0) throw new InvalidOperationException($"Retrieval index '{FilePath}' is empty: there is nothing to search.");
        var neighbors = SimilaritySearch.Search(queries, new MappedGalleryTiles(this), top, options ?? SimilaritySearchOptions.Default);
        var results = new IReadOnlyList<RetrievalMatch>[neighbors.QueryCount];
        for (int q = 0; q < results.Length; q++)
        {
            var indices = neighbors.GetIndices(q);
            var scores = neighbors.GetScores(q);
            var matches = new RetrievalMatch[indices.Length];
            for (int rank = 0; rank < matches.Length; rank++)
            {
                int entry = indices[rank];
                matches[rank] = new RetrievalMatch(rank + 1, scores[rank],
                    RetrievalIndexFile.ReadString(_start, _header.ItemIds, Count, entry),
                    RetrievalIndexFile.ReadString(_start, _header.ImagePaths, Count, entry), entry);
            }

            results[q] = matches;
        }

        return results;
    }

    /// <summary>The exact search of <see cref="Search(ReadOnlySpan{float}, int, SimilaritySearchOptions?)"/> (cosine), completed on the calling thread.</summary>
    /// <exception cref="NotSupportedException">A category filter is given: an index file stores no categories.</exception>
    ValueTask<IReadOnlyList<RetrievalMatch>> IGalleryStore.SearchAsync(ReadOnlyMemory<float> query, int top, GallerySearchOptions? options,
        CancellationToken cancellationToken)
    {
        options ??= GallerySearchOptions.Default;
        options.Validate();
        if (options.Category is not null)
            throw new NotSupportedException(
                $"Retrieval index '{FilePath}' stores no categories, so it cannot filter by category '{options.Category}'; use a PostgreSQL gallery store.");
        if (query.Length != Dimension)
            throw new ArgumentException($"The query has dimension {query.Length} but retrieval index '{FilePath}' has dimension {Dimension}.", nameof(query));
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Search(query.Span, top));
    }

    /// <summary>Releases the memory map; searches still running finish first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _handle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private void CheckEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
    }

    /// <summary>Keeps the mapping alive for the duration of a read, even if another thread disposes the index meanwhile.</summary>
    private MappingLease Lease()
    {
        // Checking the flag first gives the usual error; the reference keeps the mapping alive if Dispose wins the race.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        bool added = false;
        _handle.DangerousAddRef(ref added);
        return new MappingLease(_handle);
    }

    private readonly struct MappingLease(SafeMemoryMappedViewHandle handle) : IDisposable
    {
        public void Dispose() => handle.DangerousRelease();
    }

    /// <summary>Copies one tile of rows at a time out of the mapped embedding block into a tensor.</summary>
    private sealed class MappedGalleryTiles(RetrievalIndex index) : GalleryTiles
    {
        public override int Count => index.Count;

        public override int Dimension => index.Dimension;

        public override nint HostAddress => (nint)(index._start + index._header.Embeddings.Offset);

        public override Tensor Load(int start, int length, Device device)
        {
            var tile = empty([length, Dimension], ScalarType.Float32, device: CPU);
            long offset = index._header.Embeddings.Offset + (long)start * Dimension * sizeof(float);
            new ReadOnlySpan<byte>(index._start + offset, checked(length * Dimension * sizeof(float))).CopyTo(tile.bytes);
            return tile.to(device);
        }
    }
}
