using System.Globalization;
using FashionNet.Data.Annotations;
using FashionNet.Retrieval;
using Spectre.Console;

namespace FashionNet.Cli.Reporting;

/// <summary>A contact sheet of a few queries spread evenly over a query list, each row the query and its top matches.</summary>
internal static class QuerySheet
{
    /// <summary>Matches shown per query.</summary>
    public const int MatchesPerQuery = 6;

    /// <summary>
    /// Writes the sheet (matches of the query's item framed green) and prints, per query, the rank of the first match
    /// of its item.
    /// </summary>
    /// <param name="dataset">The dataset of the queries.</param>
    /// <param name="queries">Sample indices of all queries; <paramref name="rows"/> of them are shown.</param>
    /// <param name="rows">Queries on the sheet.</param>
    /// <param name="search">The top <see cref="MatchesPerQuery"/> matches of a query sample.</param>
    /// <param name="pngPath">Where the PNG goes.</param>
    public static void Write(FashionDataset dataset, IReadOnlyList<int> queries, int rows, Func<int, IReadOnlyList<RetrievalMatch>> search, string pngPath)
    {
        var sheet = new List<IReadOnlyList<ContactSheetTile>>();
        foreach (int query in Spread(queries, rows))
        {
            var sample = dataset.Samples[query];
            var matches = search(query);
            sheet.Add([new ContactSheetTile(dataset.ImageFullPath(sample), $"query\n{sample.ItemId}", false),
                .. matches.Select(m => new ContactSheetTile(m.ImagePath, $"#{m.Rank} {m.Score.ToString("0.000", CultureInfo.InvariantCulture)}\n{m.ItemId}", m.ItemId == sample.ItemId))]);
            int hit = matches.ToList().FindIndex(m => m.ItemId == sample.ItemId);
            AnsiConsole.MarkupLineInterpolated(
                $"  query {sample.ImagePath} (item {sample.ItemId}): {(hit < 0 ? $"its item is not in the top {matches.Count}" : $"first match of its item at rank {hit + 1}")}");
        }
        ContactSheet.Write(sheet, pngPath);
    }

    /// <summary>Positions <c>i * count / rows</c> of the list: deterministic and spread over it.</summary>
    public static IEnumerable<int> Spread(IReadOnlyList<int> queries, int rows) =>
        Enumerable.Range(0, Math.Min(rows, queries.Count)).Select(i => queries[i * queries.Count / Math.Min(rows, queries.Count)]);
}
