using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Inference;
using FashionNet.Retrieval;
using FashionNet.Retrieval.PostgreSql;
using FashionNet.Tests.TestSupport;

namespace FashionNet.Tests.Inference;

/// <summary><see cref="VisualSearch"/> over gallery stores: the index file through the store interface, and PostgreSQL.</summary>
public sealed class VisualSearchStoreTests(InferenceFixture fixture) : IClassFixture<InferenceFixture>
{
    [SkippableFact]
    public async Task ADatasetLoadedIntoPostgreSqlAnswersLikeItsIndexFileAndAReRunEmbedsNothingAgain()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("gallery.idx");
        VisualSearch.BuildIndex(indexPath, embedder, fixture.Dataset, fixture.Gallery);
        var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, embedder.Fingerprint, embedder.Dimension, gallery.Options);
        var options = new GalleryLoadOptions { WriteBatchSize = 4, Embedding = new EmbeddingOptions { BatchSize = 4 } };
        var dataset = WithPathCategories(fixture.Dataset);

        var first = await VisualSearch.AddToStoreAsync(store, embedder, dataset, fixture.Gallery, options);
        var again = await VisualSearch.AddToStoreAsync(store, embedder, dataset, fixture.Gallery, options);

        Assert.Equal(new GalleryLoadSummary(fixture.Gallery.Count, 0, fixture.Gallery.Count), first);
        Assert.Equal(new GalleryLoadSummary(fixture.Gallery.Count, fixture.Gallery.Count, 0), again);
        using var fromFile = VisualSearch.Open(indexPath, embedder);
        using var fromDatabase = VisualSearch.Open(store, embedder);
        Assert.Equal(fixture.Gallery.Count, fromDatabase.Store.Count);
        Assert.Throws<InvalidOperationException>(() => fromDatabase.Index);
        foreach (int sample in fixture.Queries.Take(3))
        {
            string query = fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[sample]);
            var expected = fromFile.Query(query, 5);
            var actual = await fromDatabase.QueryAsync(query, 5, new GallerySearchOptions { Exact = true });
            Assert.Equal(expected.Select(m => m.ImagePath), actual.Select(m => m.ImagePath));
            Assert.Equal(expected.Select(m => m.Score), actual.Select(m => m.Score), (x, y) => Math.Abs(x - y) < 1e-5f);
            Assert.Equal(expected.Select(m => m.ImagePath), fromDatabase.Query(query, 5).Select(m => m.ImagePath));
        }
        // The dataset's category name is stored with each image and filters in the database.
        var firstSample = dataset.Samples[fixture.Gallery[0]];
        string category = dataset.Categories[firstSample.CategoryIndex!.Value].Name;
        var filtered = await fromDatabase.QueryAsync(fixture.Dataset.ImageFullPath(firstSample), 50, new GallerySearchOptions { Category = category });
        Assert.NotEmpty(filtered);
        Assert.All(filtered, m => Assert.Equal(category, m.Category));
        Assert.Equal(fixture.Gallery.Count(i => dataset.Samples[i].CategoryLabel == firstSample.CategoryLabel), filtered.Count);
    }

    /// <summary>The fixture's synthetic set with a category table taken from its paths (<c>img/SYNTH/CATEGORY/item/file</c>).</summary>
    private static FashionDataset WithPathCategories(FashionDataset dataset)
    {
        static string Folder(FashionSample sample) => sample.ImagePath.Split('/')[2];
        var names = dataset.Samples.Select(Folder).Distinct().Order(StringComparer.Ordinal).ToList();
        var samples = dataset.Samples.Select(s => s with { CategoryLabel = names.IndexOf(Folder(s)) + 1 }).ToList();
        return new FashionDataset(dataset.Format, dataset.Root, samples, dataset.Items, [.. names.Select(name => new CategoryInfo(name, ClothesType.Upper))],
            dataset.Attributes, dataset.Pairs, dataset.Report);
    }

    [SkippableFact]
    public async Task AStoreOfAnotherEmbedderIsRefusedBeforeAnyEmbedding()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        using var embedder = fixture.LoadEmbedder();
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, "another-embedder", embedder.Dimension, gallery.Options);

        var load = await Assert.ThrowsAsync<GalleryStoreException>(() => VisualSearch.AddToStoreAsync(store, embedder, fixture.Dataset, fixture.Gallery));
        Assert.Contains("built by another embedder", load.Message);
        var open = Assert.Throws<GalleryStoreException>(() => VisualSearch.Open(store, embedder));
        Assert.Contains("built by another embedder", open.Message);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task TheIndexFileIsAGalleryStoreThatSearchesExactlyAndRefusesACategoryFilter()
    {
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("store.idx");
        VisualSearch.BuildIndex(indexPath, embedder, fixture.Dataset, fixture.Gallery);
        using var search = VisualSearch.Open(RetrievalIndex.Open(indexPath), embedder);
        string query = fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[fixture.Queries[0]]);

        var viaStore = await search.QueryAsync(query, 4);
        Assert.Equal(search.Query(query, 4), viaStore);
        Assert.Equal(fixture.Gallery.Count, search.Store.Count);
        var filter = await Assert.ThrowsAsync<NotSupportedException>(() => search.QueryAsync(query, 4, new GallerySearchOptions { Category = "Tee" }));
        Assert.Contains("stores no categories", filter.Message);
    }
}
