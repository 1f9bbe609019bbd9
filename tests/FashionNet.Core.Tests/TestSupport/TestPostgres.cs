using FashionNet.Retrieval.PostgreSql;

namespace FashionNet.Tests.TestSupport;

/// <summary>
/// The PostgreSQL server with pgvector that <c>.ci/run</c> starts for the tests, named by <c>FASHIONNET_TEST_POSTGRES</c>
/// (a connection string). A plain <c>dotnet test</c> has none, so tests that need it skip with a message that says so.
/// </summary>
internal static class TestPostgres
{
    public const string Variable = "FASHIONNET_TEST_POSTGRES";

    /// <summary>The server's connection string, or a skip of the calling test.</summary>
    public static string RequireConnectionString()
    {
        string? connectionString = Environment.GetEnvironmentVariable(Variable);
        Skip.If(string.IsNullOrWhiteSpace(connectionString),
            $"No PostgreSQL server with pgvector: {Variable} is unset (.ci/run starts one and sets it); skipped.");
        return connectionString!;
    }

    /// <summary>A gallery of its own for one test, deleted when disposed.</summary>
    public static TestGallery NewGallery(string connectionString) => new(connectionString);

    internal sealed class TestGallery(string connectionString) : IDisposable
    {
        public PgVectorGalleryOptions Options { get; } = new() { Gallery = $"test_{Guid.NewGuid():N}"[..30] };

        public string ConnectionString => connectionString;

        public void Dispose() => PgVectorGalleryStore.DeleteAsync(connectionString, Options).GetAwaiter().GetResult();
    }
}
