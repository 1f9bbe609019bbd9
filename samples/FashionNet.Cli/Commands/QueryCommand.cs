using System.CommandLine;
using System.Globalization;
using FashionNet.Cli.Reporting;
using FashionNet.Inference;
using FashionNet.Retrieval;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet query</c>: the catalogue images most similar to a photo, from an index built by <c>fashionnet index</c>,
/// as a table and a PNG contact sheet. The embedding must be the index's: without <c>--checkpoint</c> or
/// <c>--baseline</c> it is the one the index records (the baseline, or the checkpoint it was built with).
/// </summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var command = new Command("query", "Find the index entries most similar to an image.");
        var indexFile = new Option<FileInfo>("--index") { Description = "The index file (from fashionnet index).", Required = true };
        var image = new Option<FileInfo>("--image") { Description = "The query image.", Required = true };
        var top = new Option<int>("--top") { Description = "How many matches.", DefaultValueFactory = _ => 10 };
        var sheet = new Option<FileInfo>("--sheet") { Description = "Where to write the contact sheet PNG.", DefaultValueFactory = _ => new FileInfo("query.png") };
        var embedder = EmbedderChoice.AddTo(command, required: false);
        foreach (var option in new Option[] { indexFile, image, top, sheet }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            int count = parse.GetValue(top);
            if (count < 1) throw new ArgumentException("--top must be at least 1.");
            string indexPath = parse.GetValue(indexFile)!.FullName, imagePath = parse.GetValue(image)!.FullName;
            using var model = embedder.IsGiven(parse) ? embedder.Load(parse) : VisualSearch.LoadEmbedderFor(indexPath);
            using var search = VisualSearch.Open(indexPath, model);
            var matches = search.Query(imagePath, count);

            var table = new Table().Title($"top {matches.Count} of {search.Index.Count:N0} for {Markup.Escape(imagePath)}")
                .AddColumn("rank", c => c.RightAligned()).AddColumn("score", c => c.RightAligned()).AddColumn("item").AddColumn("image");
            foreach (var match in matches)
            {
                table.AddRow(match.Rank.ToString(CultureInfo.InvariantCulture), match.Score.ToString("0.0000", CultureInfo.InvariantCulture),
                    Markup.Escape(match.ItemId.Length > 0 ? match.ItemId : "-"), Markup.Escape(match.ImagePath));
            }
            AnsiConsole.Write(table);

            string sheetPath = parse.GetValue(sheet)!.FullName;
            // The query's item is unknown, so nothing is marked correct: matches of the top match's item are framed, as a hint.
            string? topItem = matches.Count > 0 && matches[0].ItemId.Length > 0 ? matches[0].ItemId : null;
            ContactSheet.Write([[new ContactSheetTile(imagePath, "query", false), .. matches.Select(m => Tile(m, topItem))]], sheetPath);
            string framed = topItem is null ? "" : $" (framed: images of item {topItem}, the top match's)";
            AnsiConsole.MarkupLineInterpolated($"contact sheet written to [bold]{sheetPath}[/]{framed}");
            return 0;
        });
        return command;
    }

    private static ContactSheetTile Tile(RetrievalMatch match, string? topItem) =>
        new(match.ImagePath, $"#{match.Rank} {match.Score.ToString("0.000", CultureInfo.InvariantCulture)}\n{match.ItemId}",
            topItem is not null && match.ItemId == topItem);
}
