using System.CommandLine;
using FashionNet.Retrieval.PostgreSql;

namespace FashionNet.Cli.Commands;

/// <summary>The options that put a gallery in PostgreSQL with pgvector instead of an index file: <c>--store</c> and <c>--gallery</c>.</summary>
internal sealed class GalleryStoreChoice
{
    private GalleryStoreChoice()
    {
        Store = new Option<string>("--store")
        {
            Description = "A PostgreSQL server with pgvector instead of an index file: an Npgsql connection string, e.g. \"Host=db;Database=shop;Username=app\" " +
                "(the password from PGPASSWORD or ~/.pgpass, or Password=...).",
        };
        Gallery = new Option<string>("--gallery")
        {
            Description = "With --store: the gallery (table) name.",
            DefaultValueFactory = _ => PgVectorGalleryOptions.DefaultGallery,
        };
    }

    public Option<string> Store { get; }

    public Option<string> Gallery { get; }

    /// <summary>The options, added to <paramref name="command"/>.</summary>
    public static GalleryStoreChoice AddTo(Command command)
    {
        var choice = new GalleryStoreChoice();
        command.Options.Add(choice.Store);
        command.Options.Add(choice.Gallery);
        return choice;
    }

    /// <summary>The connection string, or null when the gallery is an index file.</summary>
    public string? ConnectionString(ParseResult parse) => parse.GetValue(Store);

    /// <summary>The gallery options from <c>--gallery</c>.</summary>
    public PgVectorGalleryOptions Options(ParseResult parse) => new() { Gallery = parse.GetValue(Gallery)! };
}
