using FashionNet.Model;
using FashionNet.Inference;
using FashionNet.Retrieval;

namespace FashionNet.Tests.Inference;

public sealed class VisualSearchTests(InferenceFixture fixture) : IClassFixture<InferenceFixture>
{
    private string GalleryPath(int position) => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[fixture.Gallery[position]]);

    [Fact]
    public void ADatasetIndexHoldsEachSampleWithItsItemAndFindsItFirst()
    {
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("gallery.idx");

        int added = VisualSearch.BuildIndex(indexPath, embedder, fixture.Dataset, fixture.Gallery, options: new EmbeddingOptions { BatchSize = 4 });

        Assert.Equal(fixture.Gallery.Count, added);
        using var search = VisualSearch.Open(indexPath, embedder);
        Assert.Equal(embedder.Fingerprint, search.Index.ModelFingerprint);
        for (int entry = 0; entry < added; entry++)
        {
            var sample = fixture.Dataset.Samples[fixture.Gallery[entry]];
            Assert.Equal(sample.ItemId, search.Index.GetItemId(entry));
            Assert.Equal(fixture.Dataset.ImageFullPath(sample), search.Index.GetImagePath(entry));
        }
        // Dataset samples are framed by their bounding box, so the query goes through the same framing.
        using var framed = ImageEmbedding.EmbedSamples(embedder, fixture.Dataset, [fixture.Gallery[3]]);
        var matches = search.Index.Search(framed, top: 4)[0];
        Assert.Equal(3, matches[0].EntryIndex);
        Assert.Equal(1f, matches[0].Score, 1e-4f);
    }

    [Fact]
    public void AnImageListIndexAnswersAQueryByPathBestFirst()
    {
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("list.idx");
        var images = Enumerable.Range(0, 4).Select(i => new GalleryImage(GalleryPath(i), $"item{i}")).ToArray();
        VisualSearch.BuildIndex(indexPath, embedder, images);

        using var search = VisualSearch.Open(indexPath, embedder);
        var matches = search.Query(GalleryPath(2), top: 4);

        Assert.Equal(4, matches.Count);
        Assert.Equal(GalleryPath(2), matches[0].ImagePath);
        Assert.Equal("item2", matches[0].ItemId);
        Assert.Equal(1f, matches[0].Score, 1e-4f);
        Assert.Equal([1, 2, 3, 4], matches.Select(m => m.Rank));
        Assert.True(matches.Zip(matches.Skip(1)).All(pair => pair.First.Score >= pair.Second.Score));
    }

    [Fact]
    public void AppendingAddsEntriesButOnlyFromTheSameEmbedder()
    {
        using var embedder = fixture.LoadEmbedder();
        using var other = FashionNetEmbedder.FromCheckpoint(fixture.SaveCheckpoint(fixture.Recipe, seed: 3));
        string indexPath = fixture.NewPath("grown.idx");
        VisualSearch.BuildIndex(indexPath, embedder, [new GalleryImage(GalleryPath(0), "a")]);

        VisualSearch.BuildIndex(indexPath, embedder, [new GalleryImage(GalleryPath(1), "b"), new GalleryImage(GalleryPath(2))], append: true);
        byte[] before = File.ReadAllBytes(indexPath);
        var error = Assert.Throws<RetrievalIndexException>(() =>
            VisualSearch.BuildIndex(indexPath, other, [new GalleryImage(GalleryPath(3), "c")], append: true));

        Assert.Contains("different model", error.Message);
        Assert.Equal(before, File.ReadAllBytes(indexPath));
        using var index = RetrievalIndex.Open(indexPath);
        Assert.Equal(3, index.Count);
        Assert.Equal(["a", "b", ""], Enumerable.Range(0, 3).Select(index.GetItemId));
        Assert.Throws<RetrievalIndexException>(() => VisualSearch.Open(indexPath, other));
    }

    [Fact]
    public void ConcurrentQueriesGiveTheSequentialAnswers()
    {
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("shared.idx");
        VisualSearch.BuildIndex(indexPath, embedder, fixture.Dataset, fixture.Gallery);
        using var search = VisualSearch.Open(indexPath, embedder);
        var queries = fixture.Queries.Take(8).Select(i => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[i])).ToArray();
        var expected = queries.Select(q => search.Query(q, 5)).ToArray();

        var actual = new IReadOnlyList<RetrievalMatch>[queries.Length * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = search.Query(queries[i % queries.Length], 5));

        for (int i = 0; i < actual.Length; i++)
        {
            var want = expected[i % queries.Length];
            Assert.Equal(want.Select(m => m.EntryIndex), actual[i].Select(m => m.EntryIndex));
            Assert.Equal(want.Select(m => m.Score), actual[i].Select(m => m.Score), (x, y) => Math.Abs(x - y) < 1e-5f);
        }
    }
}
