using FashionNet.Data.Loading;

namespace FashionNet.Tests.Data.Loading;

public sealed class BatchSamplerTests
{
    // Items 0..5 with 1, 2, 3, 4, 5, 6 images; sample s belongs to item ItemOf[s].
    private static readonly int[] ItemOf = [.. Enumerable.Range(0, 6).SelectMany(item => Enumerable.Repeat(item, item + 1))];

    private static PKBatchSampler Sampler(int p, int k, int seed = 1) =>
        new(Enumerable.Range(0, ItemOf.Length).ToArray(), s => ItemOf[s], p, k, seed);

    [Fact]
    public void Sequential_sampler_delivers_every_index_once_in_order()
    {
        int[] indices = [5, 3, 9, 1, 0, 7, 2];
        IReadOnlyList<int[]> batches = new SequentialBatchSampler(indices, 3).Batches(epoch: 4);
        Assert.Equal([3, 3, 1], batches.Select(b => b.Length));
        Assert.Equal(indices, batches.SelectMany(b => b));
    }

    [Fact]
    public void PK_batches_hold_P_distinct_items_with_K_images_each()
    {
        PKBatchSampler sampler = Sampler(p: 2, k: 3);
        Assert.Equal(5, sampler.EligibleItems);
        Assert.Equal(1, sampler.SkippedItems);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            IReadOnlyList<int[]> batches = sampler.Batches(epoch);
            Assert.Equal(2, batches.Count);
            var seenItems = new HashSet<int>();
            foreach (int[] batch in batches)
            {
                Assert.Equal(6, batch.Length);
                int[][] groups = batch.Chunk(3).ToArray();
                Assert.All(groups, g => Assert.Single(g.Select(s => ItemOf[s]).Distinct()));
                Assert.Equal(2, groups.Select(g => ItemOf[g[0]]).Distinct().Count());
                foreach (int[] group in groups)
                {
                    int item = ItemOf[group[0]];
                    Assert.True(seenItems.Add(item), "An item appeared twice in one epoch.");
                    Assert.NotEqual(0, item);
                    // Distinct images first; repeats only when the item has fewer than K.
                    Assert.Equal(Math.Min(item + 1, 3), group.Distinct().Count());
                }
            }
        }
    }

    [Fact]
    public void PK_sampling_is_reproducible_per_epoch_and_varies_between_epochs()
    {
        Assert.Equal(Sampler(2, 2).Batches(3), Sampler(2, 2).Batches(3));
        Assert.NotEqual(Sampler(2, 2).Batches(3), Sampler(2, 2).Batches(4));
        Assert.NotEqual(Sampler(2, 2, seed: 1).Batches(3), Sampler(2, 2, seed: 2).Batches(3));
    }

    [Fact]
    public void PK_sampler_refuses_too_few_items()
    {
        var error = Assert.Throws<ArgumentException>(() => Sampler(p: 6, k: 2));
        Assert.Contains("P = 6", error.Message);
    }

    // Mixed batches: 12 main samples in batches of 4, topped up from 5 extra samples (100..104).
    private static readonly int[] Extra = [100, 101, 102, 103, 104];

    private static MixedBatchSampler Mixed(int extraPerBatch, int seed = 1, int mainSamples = 12) =>
        new(new SequentialBatchSampler(Enumerable.Range(0, mainSamples).ToArray(), 4), Extra, extraPerBatch, seed);

    [Fact]
    public void Mixed_batches_keep_the_main_batch_and_append_distinct_extra_samples()
    {
        var main = new SequentialBatchSampler(Enumerable.Range(0, 12).ToArray(), 4).Batches(0);
        for (int epoch = 0; epoch < 4; epoch++)
        {
            var batches = Mixed(extraPerBatch: 3).Batches(epoch);
            Assert.Equal(main.Count, batches.Count);
            for (int b = 0; b < batches.Count; b++)
            {
                Assert.Equal(main[b], batches[b][..4]);
                int[] extras = batches[b][4..];
                Assert.Equal(3, extras.Length);
                Assert.All(extras, e => Assert.Contains(e, Extra));
                Assert.Equal(3, extras.Distinct().Count());
            }
        }
    }

    [Fact]
    public void Mixed_batches_use_every_extra_sample_about_equally_often()
    {
        // 20 batches x 3 extras = 60 draws from 5 samples: 12 whole shuffles, so 12 uses each. Draws with replacement
        // would spread them wide (a binomial count's standard deviation here is 3.1).
        var counts = Mixed(extraPerBatch: 3, mainSamples: 80).Batches(0).SelectMany(b => b[4..]).CountBy(e => e).ToDictionary();
        Assert.Equal(Extra, counts.Keys.Order());
        Assert.Equal(60, counts.Values.Sum());
        Assert.All(counts.Values, uses => Assert.Equal(12, uses));
    }

    [Fact]
    public void Mixed_sampling_is_reproducible_per_epoch_and_varies_between_epochs_and_seeds()
    {
        Assert.Equal(Mixed(2).Batches(3), Mixed(2).Batches(3));
        Assert.NotEqual(Mixed(2).Batches(3), Mixed(2).Batches(4));
        Assert.NotEqual(Mixed(2, seed: 1).Batches(3), Mixed(2, seed: 2).Batches(3));
    }

    [Fact]
    public void Mixed_sampler_refuses_more_extras_per_batch_than_distinct_extra_samples()
    {
        var inner = new SequentialBatchSampler([0, 1, 2, 3], 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MixedBatchSampler(inner, [7, 7, 8], extraPerBatch: 3, seed: 1));
        Assert.Contains("2 distinct extra samples", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MixedBatchSampler(inner, [7, 8], extraPerBatch: 0, seed: 1));
    }
}
