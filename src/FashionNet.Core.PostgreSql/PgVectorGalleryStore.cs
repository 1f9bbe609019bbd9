using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace FashionNet.Retrieval.PostgreSql;

/// <summary>
/// A gallery in PostgreSQL with the pgvector extension: one table per gallery holding, per image, its path (the key), item
/// id, category, embedder fingerprint and vector, plus a catalogue table (<c>fashionnet_galleries</c>) that records each
/// gallery's schema version, embedder fingerprint and dimension. The schema is created on first use; a gallery built by
/// another embedder, with another dimension, or of a newer schema version is refused with a one-line
/// <see cref="GalleryStoreException"/>.
/// <para>
/// Writes (<see cref="UpsertAsync"/>) load each batch by binary COPY into a temporary staging table and merge it into the
/// gallery with one <c>INSERT … ON CONFLICT (image_path) DO UPDATE</c> in the same transaction: readers see a batch whole
/// or not at all, and a batch written again after a crash or kill replaces its rows instead of duplicating them. Many
/// processes may load disjoint parts (<see cref="GalleryShard"/>) at once.
/// </para>
/// <para>
/// Searches rank by cosine distance (<c>&lt;=&gt;</c>) and return the cosine similarity as the score, like an index file:
/// exactly (a scan of every row) when <see cref="GallerySearchOptions.Exact"/> is set or no HNSW index exists, through the
/// HNSW index (<see cref="BuildHnswIndexAsync"/>) otherwise, with <see cref="GallerySearchOptions.EfSearch"/> as
/// <c>hnsw.ef_search</c>; a category filter is a <c>WHERE</c> clause run by the server (with pgvector's iterative index
/// scan, so filtered approximate searches still fill their top k). The store is safe to use from many threads: every call
/// takes its own pooled connection.
/// </para>
/// </summary>
public sealed class PgVectorGalleryStore : IWritableGalleryStore
{
    /// <summary>The schema version this library writes and reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The table that lists the galleries of a database.</summary>
    public const string CatalogTable = "fashionnet_galleries";

    private const int LookupChunk = 10_000;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;

    private PgVectorGalleryStore(NpgsqlDataSource dataSource, string location, string gallery, string modelFingerprint, int dimension)
    {
        _dataSource = dataSource;
        Location = location;
        Gallery = gallery;
        _table = Quote(gallery);
        ModelFingerprint = modelFingerprint;
        Dimension = dimension;
    }

    /// <summary>The server, database and gallery, as <c>postgresql://host:port/database#gallery</c> (no credentials).</summary>
    public string Location { get; }

    /// <summary>The gallery's name (its table).</summary>
    public string Gallery { get; }

    /// <summary>The fingerprint of the embedder whose embeddings the gallery holds.</summary>
    public string ModelFingerprint { get; }

    /// <summary>Embedding dimension (the column is <c>vector(Dimension)</c>).</summary>
    public int Dimension { get; }

    /// <summary>Number of rows now: <see cref="CountAsync"/>, waited for.</summary>
    public long Count => CountAsync().GetAwaiter().GetResult();

    /// <summary>Opens an existing gallery for searching (and writing with its embedder).</summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=shop;Username=app;Password=…</c>.</param>
    /// <param name="options">Which gallery; <see cref="PgVectorGalleryOptions.DefaultGallery"/> when null.</param>
    /// <param name="cancellationToken">Stops the connection attempt.</param>
    /// <exception cref="GalleryStoreException">
    /// The connection string is not valid, the server cannot be reached or refuses the login, there is no such gallery, or
    /// its schema version is newer than this library's.
    /// </exception>
    public static Task<PgVectorGalleryStore> OpenAsync(string connectionString, PgVectorGalleryOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Connect(connectionString, options, null, cancellationToken);

    /// <summary>
    /// Opens a gallery for <paramref name="modelFingerprint"/>'s embeddings, creating the pgvector extension (where the
    /// user may), the catalogue and the gallery's table on first use. Several processes may do this at once.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="modelFingerprint">The embedder's fingerprint (<c>IImageEmbedder.Fingerprint</c>).</param>
    /// <param name="dimension">The embedder's dimension (at most 2,000, pgvector's limit for an HNSW index).</param>
    /// <param name="options">Which gallery; <see cref="PgVectorGalleryOptions.DefaultGallery"/> when null.</param>
    /// <param name="cancellationToken">Stops the connection attempt.</param>
    /// <exception cref="GalleryStoreException">
    /// As <see cref="OpenAsync"/>, or the gallery exists with another embedder or dimension, or the extension is missing
    /// and this user cannot create it.
    /// </exception>
    public static Task<PgVectorGalleryStore> OpenOrCreateAsync(string connectionString, string modelFingerprint, int dimension,
        PgVectorGalleryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        if (dimension is < 1 or > 2000)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "pgvector indexes vectors of 1 to 2,000 dimensions.");
        return Connect(connectionString, options, (modelFingerprint, dimension), cancellationToken);
    }

    /// <summary>Deletes a gallery (its table and catalogue row) if it exists; other galleries stay.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="options">Which gallery.</param>
    /// <param name="cancellationToken">Stops the deletion.</param>
    /// <returns>Whether there was such a gallery.</returns>
    public static async Task<bool> DeleteAsync(string connectionString, PgVectorGalleryOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PgVectorGalleryOptions();
        options.Validate();
        var (dataSource, location) = CreateDataSource(connectionString, options);
        await using (dataSource)
        {
            return await PostgresFailures.Translate(location, "deleting the gallery", async () =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await Execute(connection, "SELECT pg_advisory_xact_lock(hashtext('fashionnet_galleries'))", cancellationToken).ConfigureAwait(false);
                bool existed = await CatalogExists(connection, cancellationToken).ConfigureAwait(false) &&
                    await Execute(connection, $"DELETE FROM {CatalogTable} WHERE name = $1", cancellationToken, options.Gallery).ConfigureAwait(false) > 0;
                await Execute(connection, $"DROP TABLE IF EXISTS {Quote(options.Gallery)}", cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return existed;
            }).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> imagePaths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        return Run("looking up stored images", async () =>
        {
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in imagePaths.Chunk(LookupChunk))
            {
                await using var command = new NpgsqlCommand($"SELECT image_path FROM {_table} WHERE image_path = ANY($1)", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = chunk, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) stored.Add(reader.GetString(0));
            }
            return (IReadOnlySet<string>)stored;
        });
    }

    /// <inheritdoc />
    /// <exception cref="GalleryStoreException">
    /// The entries come from another embedder or have another dimension, or the server failed (nothing of the batch is then
    /// visible).
    /// </exception>
    public Task UpsertAsync(RetrievalIndexContent entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!string.Equals(entries.ModelFingerprint, ModelFingerprint, StringComparison.Ordinal))
            throw new GalleryStoreException(Location,
                $"built by another embedder: its fingerprint is '{ModelFingerprint}', the entries' is '{entries.ModelFingerprint}'.");
        if (entries.Dimension != Dimension)
            throw new GalleryStoreException(Location, $"vectors have dimension {Dimension}, the entries have dimension {entries.Dimension}.");
        var duplicate = entries.ImagePaths.GroupBy(p => p, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Image '{duplicate.Key}' appears twice in one batch.", nameof(entries));
        return Run($"writing {entries.Count} entries", async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // The staging table lives only in this transaction: a killed load leaves nothing behind.
            await Execute(connection,
                "CREATE TEMP TABLE fashionnet_staging (image_path text NOT NULL, item_id text NOT NULL, category text NOT NULL, " +
                "model_fingerprint text NOT NULL, embedding vector NOT NULL) ON COMMIT DROP", cancellationToken).ConfigureAwait(false);
            await using (var writer = await connection.BeginBinaryImportAsync(
                "COPY fashionnet_staging (image_path, item_id, category, model_fingerprint, embedding) FROM STDIN (FORMAT BINARY)",
                cancellationToken).ConfigureAwait(false))
            {
                for (int row = 0; row < entries.Count; row++)
                {
                    await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entries.ImagePaths[row], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entries.ItemIds[row], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entries.Categories[row], NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(entries.ModelFingerprint, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await writer.WriteAsync(new Vector(entries.Embeddings.Slice(row * Dimension, Dimension)), cancellationToken).ConfigureAwait(false);
                }
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            await Execute(connection,
                $"INSERT INTO {_table} (image_path, item_id, category, model_fingerprint, embedding) " +
                "SELECT image_path, item_id, category, model_fingerprint, embedding FROM fashionnet_staging " +
                "ON CONFLICT (image_path) DO UPDATE SET item_id = EXCLUDED.item_id, category = EXCLUDED.category, " +
                "model_fingerprint = EXCLUDED.model_fingerprint, embedding = EXCLUDED.embedding", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RetrievalMatch>> SearchAsync(ReadOnlyMemory<float> query, int top, GallerySearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= GallerySearchOptions.Default;
        options.Validate();
        if (query.Length != Dimension)
            throw new ArgumentException($"The query has dimension {query.Length} but gallery store '{Location}' has dimension {Dimension}.", nameof(query));
        foreach (float value in query.Span)
        {
            if (!float.IsFinite(value)) throw new ArgumentException("The query has a NaN or infinite value.", nameof(query));
        }

        string filter = options.Category is null ? "" : " WHERE category = $3";
        // The exact search breaks ties by path, as deterministic as the index file's entry order; the approximate one must
        // order by the distance alone for the HNSW index to serve it.
        string order = options.Exact ? "embedding <=> $1, image_path" : "embedding <=> $1";
        string sql = $"SELECT image_path, item_id, category, embedding <=> $1 FROM {_table}{filter} ORDER BY {order} LIMIT $2";
        return await Run("searching", async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction);
            // SET LOCAL: the settings end with this transaction, so a pooled connection never carries them to another search.
            if (options.Exact) batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_indexscan = off"));
            if (!options.Exact && options.EfSearch is { } ef) batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL hnsw.ef_search = {ef}"));
            if (!options.Exact && options.Category is not null) batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL hnsw.iterative_scan = strict_order"));
            var select = new NpgsqlBatchCommand(sql);
            select.Parameters.Add(new NpgsqlParameter { Value = new Vector(query) });
            select.Parameters.Add(new NpgsqlParameter { Value = top });
            if (options.Category is not null) select.Parameters.Add(new NpgsqlParameter { Value = options.Category });
            batch.BatchCommands.Add(select);

            var matches = new List<RetrievalMatch>(top);
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                // SET commands return no rows; the reader moves past them to the SELECT's.
                do
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        matches.Add(new RetrievalMatch(matches.Count + 1, (float)(1 - reader.GetDouble(3)), reader.GetString(1), reader.GetString(0), -1)
                        {
                            Category = reader.GetString(2),
                        });
                    }
                }
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (IReadOnlyList<RetrievalMatch>)matches;
        }).ConfigureAwait(false);
    }

    /// <summary>Number of rows now: a <c>count(*)</c> on the server, which reads the whole table.</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Run("counting the entries", async () =>
    {
        await using var command = _dataSource.CreateCommand($"SELECT count(*) FROM {_table}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    });

    /// <summary>Whether the gallery has its HNSW index.</summary>
    /// <param name="cancellationToken">Stops the lookup.</param>
    public Task<bool> HasHnswIndexAsync(CancellationToken cancellationToken = default) => Run("looking up the HNSW index", async () =>
    {
        await using var command = _dataSource.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = HnswIndexName });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    });

    /// <summary>
    /// Builds the gallery's HNSW index (cosine) unless it exists. Build it after a bulk load: loading into an indexed table
    /// is slower, because every row is inserted into the graph. Writes wait while it builds; searches do not. Rows added
    /// later are indexed as they arrive.
    /// </summary>
    /// <param name="options">Graph parameters and build memory; pgvector's defaults when null.</param>
    /// <param name="cancellationToken">Stops the build (nothing is left half-built).</param>
    /// <returns>The build's wall time, or null when the index existed already.</returns>
    public async Task<TimeSpan?> BuildHnswIndexAsync(HnswIndexOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new HnswIndexOptions();
        options.Validate();
        if (await HasHnswIndexAsync(cancellationToken).ConfigureAwait(false)) return null;
        return await Run("building the HNSW index", async () =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (options.MaintenanceWorkMemory is { } memory)
                await Execute(connection, $"SET LOCAL maintenance_work_mem = '{memory}'", cancellationToken).ConfigureAwait(false);
            if (options.ParallelWorkers is { } workers)
                await Execute(connection, $"SET LOCAL max_parallel_maintenance_workers = {workers}", cancellationToken).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            await Execute(connection,
                $"CREATE INDEX IF NOT EXISTS {Quote(HnswIndexName)} ON {_table} USING hnsw (embedding vector_cosine_ops) " +
                $"WITH (m = {options.M}, ef_construction = {options.EfConstruction})", cancellationToken, timeoutSeconds: 0).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (TimeSpan?)watch.Elapsed;
        }).ConfigureAwait(false);
    }

    /// <summary>Drops the gallery's HNSW index if it exists (searches are then exact scans).</summary>
    /// <param name="cancellationToken">Stops the drop.</param>
    public Task DropHnswIndexAsync(CancellationToken cancellationToken = default) => Run("dropping the HNSW index", async () =>
    {
        await using var command = _dataSource.CreateCommand($"DROP INDEX IF EXISTS {Quote(HnswIndexName)}");
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    });

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    private string HnswIndexName => $"{Gallery}_hnsw";

    private Task<T> Run<T>(string operation, Func<Task<T>> action) => PostgresFailures.Translate(Location, operation, action);

    private static async Task<PgVectorGalleryStore> Connect(string connectionString, PgVectorGalleryOptions? options, (string Fingerprint, int Dimension)? create,
        CancellationToken cancellationToken)
    {
        options ??= new PgVectorGalleryOptions();
        options.Validate();
        var (dataSource, location) = CreateDataSource(connectionString, options);
        try
        {
            var (fingerprint, dimension) = await PostgresFailures.Translate(location, "opening the gallery", async () =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                // One process at a time creates or checks galleries, so shards started together do not race on the schema.
                await Execute(connection, "SELECT pg_advisory_xact_lock(hashtext('fashionnet_galleries'))", cancellationToken).ConfigureAwait(false);
                var found = await CatalogExists(connection, cancellationToken).ConfigureAwait(false)
                    ? await ReadCatalog(connection, options.Gallery, location, cancellationToken).ConfigureAwait(false)
                    : null;
                if (found is null && create is null)
                    throw new GalleryStoreException(location,
                        $"there is no gallery '{options.Gallery}' in this database: load one first (fashionnet index ... --store).");
                if (found is null)
                {
                    await CreateGallery(connection, options.Gallery, create!.Value.Fingerprint, create.Value.Dimension, location, cancellationToken)
                        .ConfigureAwait(false);
                    found = create;
                }
                else if (create is { } expected)
                {
                    if (!string.Equals(found.Value.Fingerprint, expected.Fingerprint, StringComparison.Ordinal))
                        throw new GalleryStoreException(location,
                            $"built by another embedder: its fingerprint is '{found.Value.Fingerprint}', this embedder's is '{expected.Fingerprint}'.");
                    if (found.Value.Dimension != expected.Dimension)
                        throw new GalleryStoreException(location, $"vectors have dimension {found.Value.Dimension}, this embedder's have {expected.Dimension}.");
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return found.Value;
            }).ConfigureAwait(false);
            return new PgVectorGalleryStore(dataSource, location, options.Gallery, fingerprint, dimension);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(string Fingerprint, int Dimension)?> ReadCatalog(NpgsqlConnection connection, string gallery, string location,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT schema_version, model_fingerprint, dimension FROM {CatalogTable} WHERE name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = gallery });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        int version = reader.GetInt32(0);
        if (version != SchemaVersion)
            throw new GalleryStoreException(location,
                $"schema version {version} is not supported (this library reads version {SchemaVersion}): use the FashionNet.Core.PostgreSql that wrote it.");
        return (reader.GetString(1), reader.GetInt32(2));
    }

    private static async Task CreateGallery(NpgsqlConnection connection, string gallery, string fingerprint, int dimension, string location,
        CancellationToken cancellationToken)
    {
        await using (var check = new NpgsqlCommand("SELECT count(*) FROM pg_extension WHERE extname = 'vector'", connection))
        {
            if ((long)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
            {
                await using var available = new NpgsqlCommand("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'", connection);
                if ((long)(await available.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
                    throw new GalleryStoreException(location,
                        "the server has no pgvector extension: install it (e.g. postgresql-16-pgvector) or use a managed PostgreSQL that offers it.");
                await Execute(connection, "CREATE EXTENSION IF NOT EXISTS vector", cancellationToken).ConfigureAwait(false);
            }
        }
        // The data source learnt the types when it first connected, possibly before the extension existed.
        await connection.ReloadTypesAsync(cancellationToken).ConfigureAwait(false);
        await Execute(connection,
            $"CREATE TABLE IF NOT EXISTS {CatalogTable} (name text PRIMARY KEY, schema_version integer NOT NULL, model_fingerprint text NOT NULL, " +
            "dimension integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
        string table = Quote(gallery);
        await Execute(connection,
            $"CREATE TABLE {table} (image_path text PRIMARY KEY, item_id text NOT NULL, category text NOT NULL, model_fingerprint text NOT NULL, " +
            $"embedding vector({dimension}) NOT NULL)", cancellationToken).ConfigureAwait(false);
        // Vectors inline, not TOASTed out of line (pgvector's own type says 'external'): scans read one heap, and the planner's
        // costs, which ignore TOAST, stay right (pgvector's README, "Why isn't a query using a parallel table scan?").
        await Execute(connection, $"ALTER TABLE {table} ALTER COLUMN embedding SET STORAGE PLAIN", cancellationToken).ConfigureAwait(false);
        await Execute(connection, $"CREATE INDEX {Quote(gallery + "_category")} ON {table} (category)", cancellationToken).ConfigureAwait(false);
        await Execute(connection, $"INSERT INTO {CatalogTable} (name, schema_version, model_fingerprint, dimension) VALUES ($1, $2, $3, $4)",
            cancellationToken, gallery, SchemaVersion, fingerprint, dimension).ConfigureAwait(false);
    }

    private static async Task<bool> CatalogExists(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT to_regclass('{CatalogTable}') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static (NpgsqlDataSource DataSource, string Location) CreateDataSource(string connectionString, PgVectorGalleryOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new GalleryStoreException("PostgreSQL", $"the connection string is not valid: {e.Message}", e);
        }
        var settings = builder.ConnectionStringBuilder;
        if (string.IsNullOrEmpty(settings.Host))
            throw new GalleryStoreException("PostgreSQL", "the connection string names no server: give Host=… (and Database=…).");
        if (options.CommandTimeoutSeconds is { } timeout) settings.CommandTimeout = timeout;
        builder.UseVector();
        string location = $"postgresql://{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}#{options.Gallery}";
        return (builder.Build(), location);
    }

    private static async Task<int> Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters) =>
        await Execute(connection, sql, cancellationToken, null, parameters).ConfigureAwait(false);

    private static async Task<int> Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, int? timeoutSeconds,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (timeoutSeconds is { } timeout) command.CommandTimeout = timeout;
        foreach (object parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => $"\"{identifier}\"";
}
