using System.Diagnostics;
using System.Globalization;
using FashionNet.Diagnostics;
using FashionNet.GalleryBench;
using FashionNet.Retrieval;
using FashionNet.Retrieval.PostgreSql;
using Npgsql;

// Gallery-store benchmarks (issue 15). Modes:
//   inshop  --gallery FILE --queries FILE --store CS          index file vs pgvector exact vs HNSW on real embeddings
//   file    --count N --dimension D --out FILE                 the generated vectors as an index file
//   load    --count N --dimension D --store CS [--shard i/n] [--batch B] [--gallery NAME]
//   hnsw    --store CS [--gallery NAME] [--m 16] [--ef-construction 64] [--memory 2GB] [--workers 1]
//   search  --store CS --file FILE [--gallery NAME] [--queries 200] [--exact-queries 20] [--ef 40,200]
TorchThreading.PreferPassiveWaiting();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0) return Fail("give a mode: inshop, file, load, hnsw or search");
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
string Get(string name, string? fallback = null) => options.TryGetValue(name, out var value) ? value
    : fallback ?? throw new ArgumentException($"--{name} is required");
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var galleryOptions = new PgVectorGalleryOptions { Gallery = Get("gallery", "bench_generated"), CommandTimeoutSeconds = 0 };

try
{
    switch (args[0])
    {
        case "inshop": await InShop(); break;
        case "file": WriteFile(); break;
        case "load": await Load(); break;
        case "hnsw": await BuildHnsw(); break;
        case "search": await Search(); break;
        default: return Fail($"unknown mode '{args[0]}'");
    }
    Console.WriteLine($"peak working set of this process: {Measure.Megabytes(Process.GetCurrentProcess().PeakWorkingSet64)}");
    return 0;
}
catch (Exception e) when (e is GalleryStoreException or ArgumentException or IOException)
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 1;
}

// The In-shop sample's gallery and query embeddings (two index files from `fashionnet index`), searched through the file,
// pgvector exact and pgvector HNSW.
async Task InShop()
{
    using var gallery = RetrievalIndex.Open(Get("gallery"));
    using var queries = RetrievalIndex.Open(Get("queries"), new RetrievalIndexOpenOptions { ExpectedModelFingerprint = gallery.ModelFingerprint });
    var inShopOptions = galleryOptions with { Gallery = Get("gallery-name", "bench_inshop") };
    string connectionString = Get("store");
    await PgVectorGalleryStore.DeleteAsync(connectionString, inShopOptions);
    using var store = await PgVectorGalleryStore.OpenOrCreateAsync(connectionString, gallery.ModelFingerprint, gallery.Dimension, inShopOptions);
    var entries = Enumerable.Range(0, gallery.Count).Select(i => new GalleryEntry(gallery.GetImagePath(i), gallery.GetItemId(i))).ToArray();
    var watch = Stopwatch.StartNew();
    await GalleryLoader.LoadAsync(store, gallery.ModelFingerprint, entries,
        positions => [.. positions.SelectMany(p => gallery.GetEmbedding(p).ToArray())]);
    Console.WriteLine($"loaded {gallery.Count} gallery vectors ({gallery.Dimension}-d, {gallery.ModelFingerprint}) in {watch.Elapsed.TotalSeconds:0.00} s");

    int count = GetInt("query-count", queries.Count);
    ReadOnlyMemory<float> Query(int q) => queries.GetEmbedding(q).ToArray();
    var file = await Measure.Timed(count, 20, q => Task.FromResult(gallery.Search(queries.GetEmbedding(q), 10)));
    var exact = await Measure.Timed(count, 20, async q => await store.SearchAsync(Query(q), 10, new GallerySearchOptions { Exact = true }));
    var hnswTime = await store.BuildHnswIndexAsync();
    Console.WriteLine($"HNSW index (m 16, ef_construction 64) built in {hnswTime!.Value.TotalSeconds:0.00} s");
    var agreement = Measure.Agreement(file.Results, exact.Results, 1e-5f);
    Console.WriteLine($"index file vs pgvector exact, top-10 of {count} queries: {agreement.Identical} identical, {agreement.SameSet} same set " +
        $"(order differs within 1e-5 scores), {agreement.TiesOnly} differ only by tied scores, {agreement.Different} differ");
    Console.WriteLine($"max |score difference| at equal rank: {file.Results.Zip(exact.Results).Max(p => p.First.Zip(p.Second).Max(m => Math.Abs(m.First.Score - m.Second.Score))):E2}");
    Console.WriteLine(Measure.Latency("index file (exact, mmap)", file.Milliseconds));
    Console.WriteLine(Measure.Latency("pgvector exact (scan)", exact.Milliseconds));
    foreach (int ef in Get("ef", "40,100").Split(',').Select(int.Parse))
    {
        var approximate = await Measure.Timed(count, 20, async q => await store.SearchAsync(Query(q), 10, new GallerySearchOptions { EfSearch = ef }));
        Console.WriteLine(Measure.Latency($"pgvector HNSW ef_search {ef}", approximate.Milliseconds) +
            $"  recall@10 vs exact {Measure.Recall(approximate.Results, file.Results, 10):0.0000}" +
            $"  hit rate@10 {HitRate(approximate.Results, queries, count):0.0000}");
    }
    Console.WriteLine($"hit rate@10 (query item in the top 10): index file {HitRate(file.Results, queries, count):0.0000}, pgvector exact {HitRate(exact.Results, queries, count):0.0000}");
    await PrintSizes(connectionString, inShopOptions.Gallery);
    Console.WriteLine($"index file size: {Measure.Megabytes(new FileInfo(gallery.FilePath).Length)}");
}

static double HitRate(List<IReadOnlyList<RetrievalMatch>> results, RetrievalIndex queries, int count) =>
    (double)Enumerable.Range(0, count).Count(q => results[q].Take(10).Any(m => m.ItemId == queries.GetItemId(q))) / count;

void WriteFile()
{
    int count = GetInt("count", 1_000_000), dimension = GetInt("dimension", 512);
    var generator = new GeneratedGallery(dimension);
    var watch = Stopwatch.StartNew();
    int[] all = [.. Enumerable.Range(0, count)];
    var entries = all.Select(GeneratedGallery.Entry).ToArray();
    var content = new RetrievalIndexContent(GeneratedGallery.Fingerprint, dimension, generator.Rows(all), [.. entries.Select(e => e.ItemId)],
        [.. entries.Select(e => e.ImagePath)], [.. entries.Select(e => e.Category)]);
    RetrievalIndex.Create(Get("out"), content);
    Console.WriteLine($"wrote {count} generated {dimension}-d vectors to {Get("out")} ({Measure.Megabytes(new FileInfo(Get("out")).Length)}) in {watch.Elapsed.TotalSeconds:0.0} s");
}

async Task Load()
{
    int count = GetInt("count", 1_000_000), dimension = GetInt("dimension", 512), batch = GetInt("batch", 5000);
    var shard = GalleryShard.Parse(Get("shard", "0/1"));
    var generator = new GeneratedGallery(dimension);
    var entries = Enumerable.Range(0, count).Select(GeneratedGallery.Entry).Where(e => shard.Contains(e.ImagePath)).ToArray();
    var positions = entries.Select(e => int.Parse(e.ImagePath.AsSpan(11, 7), CultureInfo.InvariantCulture)).ToArray();
    using var store = await PgVectorGalleryStore.OpenOrCreateAsync(Get("store"), GeneratedGallery.Fingerprint, dimension, galleryOptions);
    var watch = Stopwatch.StartNew();
    var summary = await GalleryLoader.LoadAsync(store, GeneratedGallery.Fingerprint, entries,
        chunk => generator.Rows([.. chunk.Select(p => positions[p])]), batch);
    double seconds = watch.Elapsed.TotalSeconds;
    Console.WriteLine($"shard {shard}: {summary.Added} vectors loaded ({summary.AlreadyStored} stored already) in {seconds:0.0} s: " +
        $"{summary.Added / seconds:N0} vectors/s (batches of {batch})");
}

async Task BuildHnsw()
{
    using var store = await PgVectorGalleryStore.OpenAsync(Get("store"), galleryOptions);
    await store.DropHnswIndexAsync();
    var hnsw = new HnswIndexOptions
    {
        M = GetInt("m", 16),
        EfConstruction = GetInt("ef-construction", 64),
        MaintenanceWorkMemory = Get("memory", "2GB"),
        ParallelWorkers = GetInt("workers", 1),
    };
    var time = await store.BuildHnswIndexAsync(hnsw);
    Console.WriteLine($"HNSW index on {store.Count} vectors (m {hnsw.M}, ef_construction {hnsw.EfConstruction}, maintenance_work_mem {hnsw.MaintenanceWorkMemory}, " +
        $"{hnsw.ParallelWorkers} parallel workers) built in {time!.Value.TotalSeconds:0.0} s");
    await PrintSizes(Get("store"), galleryOptions.Gallery);
}

async Task Search()
{
    using var file = RetrievalIndex.Open(Get("file"));
    using var store = await PgVectorGalleryStore.OpenAsync(Get("store"), galleryOptions);
    var generator = new GeneratedGallery(file.Dimension);
    int count = GetInt("queries", 200), exactCount = GetInt("exact-queries", 20);
    var queries = new float[count][];
    for (int q = 0; q < count; q++) generator.FillQuery(q, queries[q] = new float[file.Dimension]);
    Console.WriteLine($"{count} generated queries against {file.Count} vectors");

    var truth = await Measure.Timed(count, 3, q => Task.FromResult(file.Search(queries[q], 10)));
    Console.WriteLine(Measure.Latency("index file (exact, mmap)", truth.Milliseconds));
    var exact = await Measure.Timed(exactCount, 1, async q => await store.SearchAsync(queries[q], 10, new GallerySearchOptions { Exact = true }));
    var agreement = Measure.Agreement(truth.Results.Take(exactCount).ToList(), exact.Results, 1e-5f);
    Console.WriteLine(Measure.Latency("pgvector exact (scan)", exact.Milliseconds) +
        $"  top-10 vs file: {agreement.Identical + agreement.SameSet + agreement.TiesOnly} of {exactCount} agree (ties aside)");
    foreach (int ef in Get("ef", "40,200").Split(',').Select(int.Parse))
    {
        // 50 untimed queries first: the 2.6 GB graph does not fit shared_buffers, and the first pass reads it from disk.
        var approximate = await Measure.Timed(count, 50, async q => await store.SearchAsync(queries[q], 10, new GallerySearchOptions { EfSearch = ef }));
        Console.WriteLine(Measure.Latency($"pgvector HNSW ef_search {ef}", approximate.Milliseconds) +
            $"  recall@10 vs exact {Measure.Recall(approximate.Results, truth.Results, 10):0.0000}");
    }
    // Category filters (20 categories, 5% of the gallery each): the query's own category (its cluster's: a photo of a dress
    // searched among dresses) and one that is not (the true matches lie far from the query), exact in the database against
    // HNSW with its iterative scan.
    foreach (var (name, categoryOf) in new (string, Func<int, string>)[]
    {
        ("own category", q => $"cat{q * 7919 % GeneratedGallery.Clusters % 20:D2}"),
        ("other category", q => $"cat{(q * 7919 % GeneratedGallery.Clusters + 7) % 20:D2}"),
    })
    {
        var filteredExact = await Measure.Timed(exactCount, 1, async q =>
            await store.SearchAsync(queries[q], 10, new GallerySearchOptions { Exact = true, Category = categoryOf(q) }));
        var filteredApproximate = await Measure.Timed(exactCount, 1, async q =>
            await store.SearchAsync(queries[q], 10, new GallerySearchOptions { EfSearch = 40, Category = categoryOf(q) }));
        Console.WriteLine(Measure.Latency($"pgvector exact, {name}", filteredExact.Milliseconds));
        Console.WriteLine(Measure.Latency($"pgvector HNSW 40, {name}", filteredApproximate.Milliseconds) +
            $"  {filteredApproximate.Results.Average(r => r.Count):0.0} results per query, recall@10 vs exact {Measure.Recall(filteredApproximate.Results, filteredExact.Results, 10):0.0000}");
    }
    await PrintSizes(Get("store"), galleryOptions.Gallery);
    Console.WriteLine($"index file size: {Measure.Megabytes(new FileInfo(file.FilePath).Length)}");
}

static async Task PrintSizes(string connectionString, string gallery)
{
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using var command = dataSource.CreateCommand(
        $"SELECT pg_table_size('\"{gallery}\"'), pg_indexes_size('\"{gallery}\"'), coalesce(pg_relation_size(to_regclass('\"{gallery}_hnsw\"')), 0), " +
        "current_setting('shared_buffers'), pg_database_size(current_database())");
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    Console.WriteLine($"PostgreSQL sizes: table {Measure.Megabytes(reader.GetInt64(0))}, all its indexes {Measure.Megabytes(reader.GetInt64(1))} " +
        $"(HNSW {Measure.Megabytes(reader.GetInt64(2))}), database {Measure.Megabytes(reader.GetInt64(4))}; shared_buffers {reader.GetString(3)}");
}
