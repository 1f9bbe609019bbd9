using FashionNet.Retrieval;
using FashionNet.Retrieval.PostgreSql;
using FashionNet.Tests.TestSupport;
using Npgsql;

namespace FashionNet.Tests.Retrieval.PostgreSql;

/// <summary>The gallery in a real PostgreSQL server with pgvector (started by <c>.ci/run</c>; skipped without one).</summary>
public sealed class PgVectorGalleryStoreTests
{
    private const string Fingerprint = "test-embedder-1";
    private static readonly string[] Categories = ["WOMEN/Dresses", "MEN/Denim", "WOMEN/Skirts"];

    [SkippableFact]
    public async Task TheSchemaIsCreatedOnFirstUseVersionedAndReopened()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());

        using (var created = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, 8, gallery.Options))
        {
            Assert.Equal(0, created.Count);
            await created.UpsertAsync(Entries(Fingerprint, 8, count: 5, seed: 1));
        }
        using (var reopened = await PgVectorGalleryStore.OpenAsync(gallery.ConnectionString, gallery.Options))
        {
            Assert.Equal(Fingerprint, reopened.ModelFingerprint);
            Assert.Equal(8, reopened.Dimension);
            Assert.Equal(5, reopened.Count);
            Assert.Contains(gallery.Options.Gallery, reopened.Location);
            Assert.DoesNotContain("Password", reopened.Location, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(PgVectorGalleryStore.SchemaVersion, await Scalar<int>(gallery.ConnectionString,
            $"SELECT schema_version FROM {PgVectorGalleryStore.CatalogTable} WHERE name = '{gallery.Options.Gallery}'"));

        await Scalar<int>(gallery.ConnectionString, $"UPDATE {PgVectorGalleryStore.CatalogTable} SET schema_version = 99 WHERE name = '{gallery.Options.Gallery}' RETURNING 0");
        var newer = await Assert.ThrowsAsync<GalleryStoreException>(() => PgVectorGalleryStore.OpenAsync(gallery.ConnectionString, gallery.Options));
        Assert.Contains("schema version 99 is not supported", newer.Message);
        Assert.DoesNotContain('\n', newer.Message);
    }

    [SkippableFact]
    public async Task AGalleryOfAnotherEmbedderOrDimensionIsRefusedWithAMessage()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, 8, gallery.Options);

        var otherEmbedder = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, "another-embedder", 8, gallery.Options));
        Assert.Contains($"built by another embedder: its fingerprint is '{Fingerprint}', this embedder's is 'another-embedder'", otherEmbedder.Message);
        var otherDimension = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, 16, gallery.Options));
        Assert.Contains("vectors have dimension 8, this embedder's have 16", otherDimension.Message);
        await Assert.ThrowsAsync<GalleryStoreException>(() => store.UpsertAsync(Entries("another-embedder", 8, 2, seed: 1)));
        var wrongWidth = await Assert.ThrowsAsync<GalleryStoreException>(() => store.UpsertAsync(Entries(Fingerprint, 4, 2, seed: 1)));
        Assert.Contains("dimension 8, the entries have dimension 4", wrongWidth.Message);
        var wrongQuery = await Assert.ThrowsAsync<ArgumentException>(async () => await store.SearchAsync(new float[4], 3));
        Assert.Contains("dimension 4", wrongQuery.Message);
        Assert.Equal(0, store.Count);
    }

    [SkippableFact]
    public async Task ExactSearchRanksLikeTheIndexFileAndFiltersByCategoryInTheDatabase()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        const int dimension = 24;
        var entries = Entries(Fingerprint, dimension, count: 1500, seed: 2);
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, dimension, gallery.Options);
        await store.UpsertAsync(entries);
        var folder = Directory.CreateTempSubdirectory("fashionnet-pg-test-");
        string indexPath = Path.Combine(folder.FullName, "gallery.idx");
        RetrievalIndex.Create(indexPath, entries);
        using var index = RetrievalIndex.Open(indexPath);
        // The mapping keeps the file readable after its name is gone.
        folder.Delete(recursive: true);

        var queries = Entries(Fingerprint, dimension, count: 5, seed: 3);
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries.Embeddings.Slice(q * dimension, dimension);
            var fromFile = index.Search(query.Span, 10);
            var fromDatabase = await store.SearchAsync(query, 10, new GallerySearchOptions { Exact = true });
            Assert.Equal(fromFile.Select(m => m.ImagePath), fromDatabase.Select(m => m.ImagePath));
            Assert.Equal(fromFile.Select(m => m.ItemId), fromDatabase.Select(m => m.ItemId));
            for (int rank = 0; rank < 10; rank++) Assert.Equal(fromFile[rank].Score, fromDatabase[rank].Score, 1e-5f);
            Assert.Equal(Enumerable.Range(1, 10), fromDatabase.Select(m => m.Rank));

            // The filter is the file's answer restricted to one category: computed here by brute force on that subset.
            string category = Categories[q % Categories.Length];
            var expected = index.Search(query.Span, entries.Count).Where(m => entries.Categories[m.EntryIndex] == category).Take(10);
            var filtered = await store.SearchAsync(query, 10, new GallerySearchOptions { Exact = true, Category = category });
            Assert.Equal(expected.Select(m => m.ImagePath), filtered.Select(m => m.ImagePath));
            Assert.All(filtered, m => Assert.Equal(category, m.Category));
        }
    }

    [SkippableFact]
    public async Task ApproximateSearchUsesTheHnswIndexWithItsEfSearchAndFindsTheExactTopMatches()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        const int dimension = 16;
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, dimension, gallery.Options);
        var entries = Entries(Fingerprint, dimension, count: 2000, seed: 4);
        await store.UpsertAsync(entries);
        Assert.False(await store.HasHnswIndexAsync());
        Assert.NotNull(await store.BuildHnswIndexAsync(new HnswIndexOptions { M = 8, EfConstruction = 32 }));
        Assert.True(await store.HasHnswIndexAsync());
        Assert.Null(await store.BuildHnswIndexAsync());

        var queries = Entries(Fingerprint, dimension, count: 20, seed: 5);
        int found = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries.Embeddings.Slice(q * dimension, dimension);
            // Exact ignores the HNSW index (and so its ef_search): the brute-force answer, all 10 rows.
            var exact = await store.SearchAsync(query, 10, new GallerySearchOptions { Exact = true, EfSearch = 5 });
            var bruteForce = SimilaritySearch.Search(query.ToArray(), entries.Embeddings.ToArray(), dimension, 10);
            Assert.Equal(bruteForce.GetIndices(0).ToArray().Select(i => entries.ImagePaths[i]), exact.Select(m => m.ImagePath));
            var approximate = await store.SearchAsync(query, 10, new GallerySearchOptions { EfSearch = 100 });
            found += approximate.Select(m => m.ImagePath).Intersect(exact.Select(m => m.ImagePath)).Count();
            // An HNSW scan returns at most ef_search rows: 5 here proves the index served the search with that setting.
            Assert.Equal(5, (await store.SearchAsync(query, 10, new GallerySearchOptions { EfSearch = 5 })).Count);
            // Filtered approximate searches still fill their top k (iterative index scan), all of the category.
            var filtered = await store.SearchAsync(query, 10, new GallerySearchOptions { EfSearch = 20, Category = Categories[1] });
            Assert.Equal(10, filtered.Count);
            Assert.All(filtered, m => Assert.Equal(Categories[1], m.Category));
        }
        Assert.True(found >= 0.9 * 10 * queries.Count, $"HNSW found {found} of the {10 * queries.Count} exact top-10 matches.");
    }

    [SkippableFact]
    public async Task WritingABatchAgainReplacesItsRowsInsteadOfDuplicatingThem()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync(gallery.ConnectionString, Fingerprint, 8, gallery.Options);
        var first = Entries(Fingerprint, 8, count: 50, seed: 6);
        await store.UpsertAsync(first);
        var changed = new RetrievalIndexContent(Fingerprint, 8, Entries(Fingerprint, 8, count: 50, seed: 7).Embeddings,
            [.. first.ItemIds.Select(id => id + "-new")], first.ImagePaths, first.Categories);
        await store.UpsertAsync(changed);

        Assert.Equal(50, store.Count);
        var top = await store.SearchAsync(changed.Embeddings[..8], 1, new GallerySearchOptions { Exact = true });
        Assert.Equal(first.ImagePaths[0], top[0].ImagePath);
        Assert.Equal(first.ItemIds[0] + "-new", top[0].ItemId);
        Assert.Equal(1f, top[0].Score, 1e-5f);
        var stored = await store.FindStoredAsync([first.ImagePaths[3], "/not/stored.jpg"]);
        Assert.Equal([first.ImagePaths[3]], stored);
    }

    [SkippableFact]
    public async Task ALoadWhoseConnectionIsKilledMidBatchLeavesWholeBatchesAndTheReRunCompletesItExactly()
    {
        using var gallery = TestPostgres.NewGallery(TestPostgres.RequireConnectionString());
        const int dimension = 32, batchSize = 400, count = 2000;
        var all = Entries(Fingerprint, dimension, count, seed: 8);
        var entries = Enumerable.Range(0, count).Select(i => new GalleryEntry(all.ImagePaths[i], all.ItemIds[i], all.Categories[i])).ToArray();
        float[] Embed(int[] positions) => [.. positions.SelectMany(p => all.Embeddings.Slice(p * dimension, dimension).ToArray())];
        string loaderName = $"fashionnet-loader-{Guid.NewGuid():N}";
        using var store = await PgVectorGalleryStore.OpenOrCreateAsync($"{gallery.ConnectionString};Application Name={loaderName}", Fingerprint,
            dimension, gallery.Options);

        // After two committed batches, a lock held here stops the third batch's merge, so its backend is killed while its
        // COPY into the staging table is done and its transaction is open: the middle of a load, every time.
        await using var blocker = new NpgsqlConnection(gallery.ConnectionString);
        await blocker.OpenAsync();
        NpgsqlTransaction? lockHolder = null;
        var load = GalleryLoader.LoadAsync(store, Fingerprint, entries, positions =>
        {
            if (positions[0] == 2 * batchSize)
            {
                lockHolder = blocker.BeginTransaction();
                new NpgsqlCommand($"LOCK TABLE \"{gallery.Options.Gallery}\" IN EXCLUSIVE MODE", blocker, lockHolder).ExecuteNonQuery();
            }
            return Embed(positions);
        }, batchSize);
        int killed = 0;
        for (int attempt = 0; attempt < 500 && killed == 0 && !load.IsCompleted; attempt++)
        {
            await Task.Delay(10);
            killed = await Scalar<int>(gallery.ConnectionString,
                "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity " +
                $"WHERE application_name = '{loaderName}' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%'");
        }
        var failure = await Assert.ThrowsAsync<GalleryStoreException>(() => load);
        await lockHolder!.RollbackAsync();
        Assert.Equal(1, killed);
        Assert.Contains("re-run to complete", failure.Message);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Equal(2 * batchSize, store.Count);

        var rerun = await GalleryLoader.LoadAsync(store, Fingerprint, entries, Embed, batchSize);

        Assert.Equal(new GalleryLoadSummary(count, 2 * batchSize, count - 2 * batchSize), rerun);
        Assert.Equal(count, store.Count);
        Assert.Equal(count, await Scalar<long>(gallery.ConnectionString, $"SELECT count(DISTINCT image_path) FROM \"{gallery.Options.Gallery}\""));
        for (int i = 0; i < count; i += 97)
        {
            var top = await store.SearchAsync(all.Embeddings.Slice(i * dimension, dimension), 1, new GallerySearchOptions { Exact = true });
            Assert.Equal((entries[i].ImagePath, entries[i].ItemId, entries[i].Category), (top[0].ImagePath, top[0].ItemId, top[0].Category));
        }
    }

    [SkippableFact]
    public async Task OpeningAGalleryThatDoesNotExistSaysSo()
    {
        string connectionString = TestPostgres.RequireConnectionString();
        var missing = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenAsync(connectionString, new PgVectorGalleryOptions { Gallery = "no_such_gallery" }));
        Assert.Contains("there is no gallery 'no_such_gallery'", missing.Message);
        var noDatabase = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenAsync(new NpgsqlConnectionStringBuilder(connectionString) { Database = "no_such_database" }.ConnectionString));
        Assert.Contains("database \"no_such_database\" does not exist", noDatabase.Message);
    }

    [Fact]
    public async Task AServerThatIsDownIsAOneLineErrorNamingTheServer()
    {
        // A port that was free a moment ago: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var down = await Assert.ThrowsAsync<GalleryStoreException>(() =>
            PgVectorGalleryStore.OpenAsync($"Host=127.0.0.1;Port={port};Database=shop;Username=app;Password=secret;Timeout=3"));

        Assert.Contains($"postgresql://127.0.0.1:{port}/shop", down.Message);
        Assert.Contains("cannot reach the server", down.Message);
        Assert.DoesNotContain("secret", down.Message);
        Assert.DoesNotContain('\n', down.Message);
    }

    [Fact]
    public async Task AMalformedConnectionStringOrGalleryNameIsAOneLineError()
    {
        var malformed = await Assert.ThrowsAsync<GalleryStoreException>(() => PgVectorGalleryStore.OpenAsync("Hots=db;Database=shop"));
        Assert.Contains("the connection string is not valid", malformed.Message);
        var noHost = await Assert.ThrowsAsync<GalleryStoreException>(() => PgVectorGalleryStore.OpenAsync("Database=shop"));
        Assert.Contains("names no server", noHost.Message);
        var badName = await Assert.ThrowsAsync<ArgumentException>(() =>
            PgVectorGalleryStore.OpenAsync("Host=db", new PgVectorGalleryOptions { Gallery = "gallery; DROP TABLE x" }));
        Assert.Contains("is not accepted", badName.Message);
    }

    /// <summary>Seeded random entries: vectors, distinct paths, item ids and a category cycling through <see cref="Categories"/>.</summary>
    internal static RetrievalIndexContent Entries(string fingerprint, int dimension, int count, int seed)
    {
        var random = new Random(seed);
        var embeddings = new float[count * dimension];
        for (int i = 0; i < embeddings.Length; i++) embeddings[i] = (float)(random.NextDouble() * 2 - 1);
        return new RetrievalIndexContent(fingerprint, dimension, embeddings,
            [.. Enumerable.Range(0, count).Select(i => $"id_{i / 3:D6}")],
            [.. Enumerable.Range(0, count).Select(i => $"/gallery/{seed}/img_{i:D6}.jpg")],
            [.. Enumerable.Range(0, count).Select(i => Categories[i % Categories.Length])]);
    }

    private static async Task<T> Scalar<T>(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
