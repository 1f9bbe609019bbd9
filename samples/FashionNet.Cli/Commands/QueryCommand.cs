using System.CommandLine;
using System.Globalization;
using FashionNet.Cli.Reporting;
using FashionNet.Inference;
using FashionNet.Retrieval;
using FashionNet.Retrieval.PostgreSql;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet query</c>: the catalogue images most similar to a photo, from an index file or a PostgreSQL gallery built
/// by <c>fashionnet index</c>, as a table and a PNG contact sheet. The embedding must be the gallery's: without
/// <c>--checkpoint</c> or <c>--baseline</c> it is the one the gallery records (the baseline, or for an index file the
/// checkpoint it was built with).
/// </summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var command = new Command("query", "Find the index entries most similar to an image.");
        var indexFile = new Option<FileInfo>("--index") { Description = "The index file (from fashionnet index)." };
        var image = new Option<FileInfo>("--image") { Description = "The query image.", Required = true };
        var top = new Option<int>("--top") { Description = "How many matches.", DefaultValueFactory = _ => 10 };
        var sheet = new Option<FileInfo>("--sheet") { Description = "Where to write the contact sheet PNG.", DefaultValueFactory = _ => new FileInfo("query.png") };
        var category = new Option<string>("--category") { Description = "With --store: search only this category (e.g. WOMEN/Dresses)." };
        var exact = new Option<bool>("--exact") { Description = "With --store: compare with every vector even where an HNSW index exists." };
        var efSearch = new Option<int?>("--ef-search") { Description = "With --store: HNSW candidates (hnsw.ef_search, 1..1000; pgvector's default 40)." };
        var embedder = EmbedderChoice.AddTo(command, required: false);
        var store = GalleryStoreChoice.AddTo(command);
        foreach (var option in new Option[] { indexFile, image, top, sheet, category, exact, efSearch }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            if (Given(indexFile) == Given(store.Store)) result.AddError("Give either --index FILE or --store CONNECTION.");
            if (!Given(store.Store) && (Given(category) || Given(exact) || Given(efSearch) || Given(store.Gallery)))
                result.AddError("--category, --exact, --ef-search and --gallery need --store.");
        });
        command.SetAction(parse =>
        {
            int count = parse.GetValue(top);
            if (count < 1) throw new ArgumentException("--top must be at least 1.");
            var searchOptions = new GallerySearchOptions { Category = parse.GetValue(category), Exact = parse.GetValue(exact), EfSearch = parse.GetValue(efSearch) };
            searchOptions.Validate();
            string imagePath = parse.GetValue(image)!.FullName;
            using IGalleryStore gallery = store.ConnectionString(parse) is { } connectionString
                ? PgVectorGalleryStore.OpenAsync(connectionString, store.Options(parse)).GetAwaiter().GetResult()
                : RetrievalIndex.Open(parse.GetValue(indexFile)!.FullName);
            using var model = embedder.IsGiven(parse) ? embedder.Load(parse) : VisualSearch.LoadEmbedderFor(gallery, loader: embedder.Loader(parse));
            // Not disposed here: it would close the gallery, which the using above closes.
            var search = VisualSearch.Open(gallery, model);
            return Show(search, imagePath, count, searchOptions, parse.GetValue(sheet)!.FullName);
        });
        return command;
    }

    private static int Show(VisualSearch search, string imagePath, int count, GallerySearchOptions searchOptions, string sheetPath)
    {
        var matches = search.QueryAsync(imagePath, count, searchOptions).GetAwaiter().GetResult();

        string filter = searchOptions.Category is null ? "" : $" in {searchOptions.Category}";
        var table = new Table().Title($"top {matches.Count}{filter} of {search.Store.Count:N0} for {Markup.Escape(imagePath)}")
            .AddColumn("rank", c => c.RightAligned()).AddColumn("score", c => c.RightAligned()).AddColumn("item").AddColumn("image");
        foreach (var match in matches)
        {
            table.AddRow(match.Rank.ToString(CultureInfo.InvariantCulture), match.Score.ToString("0.0000", CultureInfo.InvariantCulture),
                Markup.Escape(match.ItemId.Length > 0 ? match.ItemId : "-"), Markup.Escape(match.ImagePath));
        }
        AnsiConsole.Write(table);

        // The query's item is unknown, so nothing is marked correct: matches of the top match's item are framed, as a hint.
        string? topItem = matches.Count > 0 && matches[0].ItemId.Length > 0 ? matches[0].ItemId : null;
        ContactSheet.Write([[new ContactSheetTile(imagePath, "query", false), .. matches.Select(m => Tile(m, topItem))]], sheetPath);
        string framed = topItem is null ? "" : $" (framed: images of item {topItem}, the top match's)";
        AnsiConsole.MarkupLineInterpolated($"contact sheet written to [bold]{sheetPath}[/]{framed}");
        return 0;
    }

    private static ContactSheetTile Tile(RetrievalMatch match, string? topItem) =>
        new(match.ImagePath, $"#{match.Rank} {match.Score.ToString("0.000", CultureInfo.InvariantCulture)}\n{match.ItemId}",
            topItem is not null && match.ItemId == topItem);
}
