using System.Net.Sockets;
using Npgsql;

namespace FashionNet.Retrieval.PostgreSql;

/// <summary>Turns Npgsql and server errors into one-line <see cref="GalleryStoreException"/>s that say what to fix.</summary>
internal static class PostgresFailures
{
    /// <summary>Runs <paramref name="action"/>, translating connection and server failures for <paramref name="location"/>.</summary>
    public static async Task<T> Translate<T>(string location, string operation, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (Describe(e) is { } problem)
        {
            throw new GalleryStoreException(location, $"{operation} failed: {problem}", e);
        }
    }

    /// <summary>A sentence for a database failure; null for exceptions that are not one (they pass unchanged).</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } e =>
            $"the server refused the login ({e.MessageText}): check Username and Password.",
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } e => $"{e.MessageText}: create the database or fix Database=.",
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown } e =>
            $"the server ended the connection ({e.MessageText}); what was committed before stays, re-run to complete.",
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } e => $"{e.MessageText} (the user lacks a privilege).",
        PostgresException e => $"{e.MessageText} (SQLSTATE {e.SqlState}).",
        NpgsqlException { InnerException: SocketException socket } =>
            $"cannot reach the server ({socket.Message}): is PostgreSQL running there, and are Host and Port right?",
        NpgsqlException { InnerException: TimeoutException } => "the server did not answer in time.",
        NpgsqlException { InnerException: EndOfStreamException or IOException } e =>
            $"the connection was lost ({e.InnerException!.Message}); what was committed before stays, re-run to complete.",
        NpgsqlException e => e.Message,
        _ => null,
    };
}
