using FashionNet.Data.Annotations;

namespace FashionNet.Data.Loading;

/// <summary>Decides which samples form each batch of an epoch. Implementations are deterministic for a given epoch.</summary>
public interface IBatchSampler
{
    /// <summary>The batches of one epoch, each a list of sample indices (into the dataset's samples).</summary>
    /// <param name="epoch">0-based epoch number; samplers that shuffle derive their order from it and their seed.</param>
    /// <returns>The batches, in delivery order.</returns>
    IReadOnlyList<int[]> Batches(int epoch);
}

/// <summary>Every sample once, in the given order, in batches of a fixed size (the last one may be smaller): for evaluation.</summary>
public sealed class SequentialBatchSampler : IBatchSampler
{
    private readonly int[] _indices;
    private readonly int _batchSize;

    /// <summary>Creates the sampler.</summary>
    /// <param name="indices">Sample indices, in delivery order.</param>
    /// <param name="batchSize">Samples per batch; positive.</param>
    public SequentialBatchSampler(IReadOnlyList<int> indices, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _indices = [.. indices];
        _batchSize = batchSize;
    }

    /// <inheritdoc />
    public IReadOnlyList<int[]> Batches(int epoch) => _indices.Chunk(_batchSize).ToArray();
}

/// <summary>
/// P x K batches for metric learning: each batch holds P distinct items with K images each, so every anchor has
/// positives (same item) and negatives (other items). Each epoch shuffles the items and visits each eligible item
/// at most once; the leftover items that do not fill a last batch of P wait for the next epoch's shuffle.
/// </summary>
/// <remarks>
/// Items with a single image cannot give a positive pair and are skipped. An item with fewer than K images (but at
/// least 2) contributes all of them, topped up to K by drawing its images again with replacement; with augmentation
/// the repeats are different views. An item with K or more images contributes K drawn without replacement.
/// </remarks>
public sealed class PKBatchSampler : IBatchSampler
{
    private readonly int[][] _itemSamples;
    private readonly int _seed;

    /// <summary>Creates the sampler.</summary>
    /// <param name="indices">Candidate sample indices (e.g. the training split).</param>
    /// <param name="itemOf">Item index of a sample index.</param>
    /// <param name="itemsPerBatch">P, distinct items per batch (at least 2).</param>
    /// <param name="samplesPerItem">K, images per item (at least 2).</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <exception cref="ArgumentException">Fewer than P items have two or more images.</exception>
    public PKBatchSampler(IReadOnlyList<int> indices, Func<int, int> itemOf, int itemsPerBatch, int samplesPerItem, int seed)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(itemOf);
        ArgumentOutOfRangeException.ThrowIfLessThan(itemsPerBatch, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerItem, 2);
        ItemsPerBatch = itemsPerBatch;
        SamplesPerItem = samplesPerItem;
        _seed = seed;
        _itemSamples = indices.GroupBy(itemOf).Where(g => g.Count() >= 2).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        SkippedItems = indices.GroupBy(itemOf).Count(g => g.Count() < 2);
        if (_itemSamples.Length < itemsPerBatch)
            throw new ArgumentException($"P x K sampling needs at least P = {itemsPerBatch} items with two or more images; found {_itemSamples.Length}.");
    }

    /// <summary>P x K batches over samples of a dataset, grouped by their <see cref="FashionSample.ItemIndex"/>.</summary>
    /// <param name="dataset">The dataset (In-shop or Consumer-to-shop: samples carry item indices).</param>
    /// <param name="indices">Candidate sample indices, e.g. <c>dataset.IndicesOf(EvaluationSplit.Train)</c>.</param>
    /// <param name="itemsPerBatch">P, distinct items per batch.</param>
    /// <param name="samplesPerItem">K, images per item.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <returns>The sampler.</returns>
    /// <exception cref="ArgumentException">A sample has no item, or fewer than P items have two or more images.</exception>
    public static PKBatchSampler ForItems(FashionDataset dataset, IReadOnlyList<int> indices, int itemsPerBatch, int samplesPerItem, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        foreach (int index in indices)
            if (dataset.Samples[index].ItemIndex is null)
                throw new ArgumentException($"Image '{dataset.Samples[index].ImagePath}' has no item id, which P x K sampling needs.", nameof(indices));
        return new PKBatchSampler(indices, index => dataset.Samples[index].ItemIndex!.Value, itemsPerBatch, samplesPerItem, seed);
    }

    /// <summary>P: distinct items per batch.</summary>
    public int ItemsPerBatch { get; }

    /// <summary>K: images per item.</summary>
    public int SamplesPerItem { get; }

    /// <summary>Items with two or more images, which the batches draw from.</summary>
    public int EligibleItems => _itemSamples.Length;

    /// <summary>Items skipped because they have a single image.</summary>
    public int SkippedItems { get; }

    /// <inheritdoc />
    public IReadOnlyList<int[]> Batches(int epoch)
    {
        var random = new Random(Seeds.Derive(_seed, epoch));
        int[] order = [.. Enumerable.Range(0, _itemSamples.Length)];
        random.Shuffle(order);
        var batches = new int[order.Length / ItemsPerBatch][];
        for (int b = 0; b < batches.Length; b++)
        {
            var batch = new int[ItemsPerBatch * SamplesPerItem];
            for (int p = 0; p < ItemsPerBatch; p++)
                Draw(_itemSamples[order[b * ItemsPerBatch + p]], batch.AsSpan(p * SamplesPerItem, SamplesPerItem), random);
            batches[b] = batch;
        }

        return batches;
    }

    private static void Draw(int[] samples, Span<int> destination, Random random)
    {
        int[] shuffled = (int[])samples.Clone();
        random.Shuffle(shuffled);
        int distinct = Math.Min(shuffled.Length, destination.Length);
        shuffled.AsSpan(0, distinct).CopyTo(destination);
        for (int i = distinct; i < destination.Length; i++) destination[i] = samples[random.Next(samples.Length)];
    }
}

/// <summary>
/// Every sample once per epoch, in an order shuffled from the seed and the epoch, in full batches (the remainder that
/// does not fill a last batch is left out of that epoch): for training on data without item identities.
/// </summary>
public sealed class ShuffledBatchSampler : IBatchSampler
{
    private readonly int[] _indices;
    private readonly int _batchSize;
    private readonly int _seed;

    /// <summary>Creates the sampler.</summary>
    /// <param name="indices">The samples to draw from.</param>
    /// <param name="batchSize">Samples per batch; positive and at most the number of samples.</param>
    /// <param name="seed">Seed of the per-epoch shuffles.</param>
    public ShuffledBatchSampler(IReadOnlyList<int> indices, int batchSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (batchSize > indices.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"A batch cannot be larger than the {indices.Count} samples.");
        _indices = [.. indices];
        _batchSize = batchSize;
        _seed = seed;
    }

    /// <inheritdoc />
    public IReadOnlyList<int[]> Batches(int epoch)
    {
        int[] order = [.. _indices];
        new Random(Seeds.Derive(_seed, epoch)).Shuffle(order);
        return order.Chunk(_batchSize).Where(batch => batch.Length == _batchSize).ToArray();
    }
}

/// <summary>
/// Every batch of an inner sampler followed by a fixed number of extra samples, for training on one kind of data while
/// another keeps teaching one part of the model: P x K retrieval batches topped up with landmark-labelled images whose
/// other labels are absent, so only the terms whose labels they carry train on them. Each epoch shuffles the extra
/// samples and deals them out in turn, reshuffling when they run out, so every extra sample is used equally often (to
/// within one use per shuffle) and none twice in a batch.
/// </summary>
public sealed class MixedBatchSampler : IBatchSampler
{
    private readonly IBatchSampler _inner;
    private readonly int[] _extra;
    private readonly int _seed;

    /// <summary>Creates the sampler.</summary>
    /// <param name="inner">The sampler of the main batches (their order and count are kept).</param>
    /// <param name="extra">The extra samples to draw from (indices into the same dataset as <paramref name="inner"/>'s; a repeated index counts once).</param>
    /// <param name="extraPerBatch">Extra samples appended to each batch; positive and at most the number of extra samples.</param>
    /// <param name="seed">Seed of the per-epoch shuffles of the extra samples.</param>
    public MixedBatchSampler(IBatchSampler inner, IReadOnlyList<int> extra, int extraPerBatch, int seed)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(extra);
        ArgumentOutOfRangeException.ThrowIfLessThan(extraPerBatch, 1);
        _extra = [.. extra.Distinct()];
        if (extraPerBatch > _extra.Length)
            throw new ArgumentOutOfRangeException(nameof(extraPerBatch), extraPerBatch, $"A batch cannot take more than the {_extra.Length} distinct extra samples.");
        _inner = inner;
        ExtraPerBatch = extraPerBatch;
        _seed = seed;
    }

    /// <summary>Extra samples appended to each batch.</summary>
    public int ExtraPerBatch { get; }

    /// <inheritdoc />
    public IReadOnlyList<int[]> Batches(int epoch)
    {
        var main = _inner.Batches(epoch);
        var random = new Random(Seeds.Derive(_seed, epoch, substream: 1));
        int[] deck = [.. _extra];
        int dealt = deck.Length;
        var batches = new int[main.Count][];
        for (int b = 0; b < main.Count; b++)
        {
            var batch = new int[main[b].Length + ExtraPerBatch];
            main[b].CopyTo(batch, 0);
            var held = batch.AsSpan(main[b].Length);
            for (int e = 0; e < ExtraPerBatch; e++)
            {
                if (dealt == deck.Length)
                {
                    random.Shuffle(deck);
                    dealt = 0;
                }
                // Where a batch spans two shuffles, a card it already holds swaps with a later one it does not: every card is
                // still dealt once per shuffle. One is there, for the batch holds fewer than ExtraPerBatch <= deck.Length.
                if (held[..e].Contains(deck[dealt]))
                {
                    int later = dealt + 1;
                    while (held[..e].Contains(deck[later])) later++;
                    (deck[dealt], deck[later]) = (deck[later], deck[dealt]);
                }
                held[e] = deck[dealt++];
            }
            batches[b] = batch;
        }
        return batches;
    }
}
