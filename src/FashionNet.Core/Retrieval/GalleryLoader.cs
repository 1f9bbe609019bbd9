namespace FashionNet.Retrieval;

/// <summary>An image to load into a gallery store: its path (the store's key), item id and category (empty when unknown).</summary>
/// <param name="ImagePath">The image path, as stored (full paths, so that results can be opened).</param>
/// <param name="ItemId">The item the image shows; empty when unknown.</param>
/// <param name="Category">The image's category, for filtered searches; empty when unknown.</param>
public sealed record GalleryEntry(string ImagePath, string ItemId = "", string Category = "");

/// <summary>What a load into a gallery store did.</summary>
/// <param name="Requested">Entries asked for.</param>
/// <param name="AlreadyStored">Of those, entries the store held already (an earlier, perhaps interrupted, run): not embedded again.</param>
/// <param name="Added">Entries embedded and written now.</param>
public sealed record GalleryLoadSummary(int Requested, int AlreadyStored, int Added);

/// <summary>
/// Loads entries into a <see cref="IWritableGalleryStore"/> in batches that resume: the entries the store holds already
/// are skipped (so their embeddings are never computed again), the others are embedded and written one batch at a time,
/// each batch atomically. A crash or kill loses at most the batch in flight, and a re-run completes the load without
/// duplicates or losses.
/// </summary>
public static class GalleryLoader
{
    /// <summary>Loads <paramref name="entries"/>, calling <paramref name="embed"/> for each batch that is not stored yet.</summary>
    /// <param name="store">The store.</param>
    /// <param name="modelFingerprint">The fingerprint of the embedder behind <paramref name="embed"/>; must be the store's.</param>
    /// <param name="entries">The entries (distinct image paths).</param>
    /// <param name="embed">
    /// The embeddings of the entries at the given positions of <paramref name="entries"/>, row-major
    /// <c>[positions, store.Dimension]</c>.
    /// </param>
    /// <param name="writeBatchSize">Entries per batch.</param>
    /// <param name="progress">Receives the number of entries written so far by this run.</param>
    /// <param name="cancellationToken">Stops between batches (and aborts the batch being written, which then leaves nothing).</param>
    /// <exception cref="GalleryStoreException">The store holds another embedder's embeddings, or a write failed.</exception>
    /// <exception cref="ArgumentException">No entries, or an image path listed twice.</exception>
    public static async Task<GalleryLoadSummary> LoadAsync(IWritableGalleryStore store, string modelFingerprint, IReadOnlyList<GalleryEntry> entries,
        Func<int[], float[]> embed, int writeBatchSize = 1024, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(embed);
        ArgumentOutOfRangeException.ThrowIfLessThan(writeBatchSize, 1);
        if (entries.Count == 0) throw new ArgumentException("There are no images to load.", nameof(entries));
        if (!string.Equals(store.ModelFingerprint, modelFingerprint, StringComparison.Ordinal))
            throw new GalleryStoreException(store.Location,
                $"built by another embedder: its fingerprint is '{store.ModelFingerprint}', this embedder's is '{modelFingerprint}'.");
        var duplicate = entries.GroupBy(e => e.ImagePath, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Image '{duplicate.Key}' is listed twice.", nameof(entries));

        var stored = await store.FindStoredAsync([.. entries.Select(e => e.ImagePath)], cancellationToken).ConfigureAwait(false);
        int[] pending = [.. Enumerable.Range(0, entries.Count).Where(i => !stored.Contains(entries[i].ImagePath))];
        int added = 0;
        foreach (int[] positions in pending.Chunk(writeBatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = new RetrievalIndexContent(modelFingerprint, store.Dimension, embed(positions),
                [.. positions.Select(p => entries[p].ItemId)], [.. positions.Select(p => entries[p].ImagePath)],
                [.. positions.Select(p => entries[p].Category)]);
            await store.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
            added += positions.Length;
            progress?.Report(added);
        }

        return new GalleryLoadSummary(entries.Count, entries.Count - pending.Length, added);
    }
}
