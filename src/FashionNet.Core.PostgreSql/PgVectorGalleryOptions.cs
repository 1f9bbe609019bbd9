using System.Text.RegularExpressions;

namespace FashionNet.Retrieval.PostgreSql;

/// <summary>Which gallery of a database a <see cref="PgVectorGalleryStore"/> opens, and how it writes.</summary>
public sealed partial record PgVectorGalleryOptions
{
    /// <summary>The default gallery name.</summary>
    public const string DefaultGallery = "fashionnet_gallery";

    /// <summary>
    /// The gallery: the name of its table (lower-case letters, digits and underscores, starting with a letter or underscore,
    /// at most 48 characters). One database can hold several galleries, each of one embedder. Default
    /// <see cref="DefaultGallery"/>. The table lives in the connection's first schema on <c>search_path</c>.
    /// </summary>
    public string Gallery { get; init; } = DefaultGallery;

    /// <summary>
    /// Seconds a statement may run before it is cancelled (0: never); null keeps the connection string's (Npgsql's default is
    /// 30). Building the HNSW index is never cut short.
    /// </summary>
    public int? CommandTimeoutSeconds { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentException">The gallery name is not a plain identifier.</exception>
    public void Validate()
    {
        // Names go into SQL as identifiers (they cannot be parameters), so only plain ones are accepted.
        if (Gallery is null || !GalleryName().IsMatch(Gallery))
            throw new ArgumentException(
                $"Gallery name '{Gallery}' is not accepted: use lower-case letters, digits and underscores, starting with a letter or underscore, at most 48 characters.",
                nameof(Gallery));
        if (CommandTimeoutSeconds is < 0) throw new ArgumentOutOfRangeException(nameof(CommandTimeoutSeconds), CommandTimeoutSeconds, "0 or more.");
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,47}$")]
    private static partial Regex GalleryName();
}

/// <summary>How <see cref="PgVectorGalleryStore.BuildHnswIndexAsync"/> builds the approximate index.</summary>
public sealed record HnswIndexOptions
{
    /// <summary>Links per node (pgvector's <c>m</c>, default 16).</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidates kept while building (pgvector's <c>ef_construction</c>, default 64).</summary>
    public int EfConstruction { get; init; } = 64;

    /// <summary>
    /// Memory for the build (<c>maintenance_work_mem</c>, e.g. <c>"2GB"</c>); null keeps the server's. pgvector builds much
    /// faster while the graph fits in it.
    /// </summary>
    public string? MaintenanceWorkMemory { get; init; }

    /// <summary>Parallel workers for the build (<c>max_parallel_maintenance_workers</c>); null keeps the server's.</summary>
    public int? ParallelWorkers { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentException">An option is out of pgvector's range or not a memory size.</exception>
    public void Validate()
    {
        if (M is < 2 or > 100) throw new ArgumentOutOfRangeException(nameof(M), M, "m must be between 2 and 100 (pgvector's range).");
        if (EfConstruction < 2 * M || EfConstruction > 1000)
            throw new ArgumentOutOfRangeException(nameof(EfConstruction), EfConstruction, "ef_construction must be between 2 m and 1000 (pgvector's range).");
        if (MaintenanceWorkMemory is not null && !Regex.IsMatch(MaintenanceWorkMemory, "^[0-9]+ ?(kB|MB|GB|TB)$"))
            throw new ArgumentException($"'{MaintenanceWorkMemory}' is not a memory size such as 512MB or 2GB.", nameof(MaintenanceWorkMemory));
        if (ParallelWorkers is < 0 or > 64) throw new ArgumentOutOfRangeException(nameof(ParallelWorkers), ParallelWorkers, "between 0 and 64.");
    }
}
