using System.CommandLine;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Inference;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet index</c>: embeds a gallery (a dataset split, or a list of image files) into a retrieval index file,
/// or appends to one built with the same embedding.
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var command = new Command("index", "Embed a gallery into a retrieval index file (or append to one).");
        var embedder = EmbedderChoice.AddTo(command);
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset folder whose split to index." };
        var format = DatasetOptions.Format("inshop", "c2s", "category", "landmarks", "synthetic");
        format.Required = false;
        format.DefaultValueFactory = _ => "inshop";
        var split = new Option<string>("--split") { Description = "Split of --data to index: train, val, test, query or gallery (c2s: its shop images).", DefaultValueFactory = _ => "gallery" };
        split.AcceptOnlyFromAmong([.. Enum.GetValues<EvaluationSplit>().Select(s => s.ToFileToken())]);
        var images = new Option<FileInfo>("--images")
        {
            Description = "Instead of --data: a text file with one image per line, 'path [item_id]' (relative paths from the file's folder; # comments).",
        };
        var output = new Option<FileInfo>("--out") { Description = "The index file.", Required = true };
        var append = new Option<bool>("--append") { Description = "Add to an existing index built with the same embedding." };
        foreach (var option in new Option[] { data, format, split, images, output, append }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if ((result.GetResult(data) is null) == (result.GetResult(images) is null)) result.AddError("Give either --data DIR or --images LISTFILE.");
        });
        command.SetAction(parse =>
        {
            using var model = embedder.Load(parse);
            string indexPath = parse.GetValue(output)!.FullName;
            bool appending = parse.GetValue(append);
            var options = embedder.Options(parse);
            using var cancel = CliCancellation.OnCtrlC();
            int added;
            if (parse.GetValue(images) is { } list)
            {
                var gallery = ReadImageList(list.FullName);
                added = ProgressDisplay.WithProgress("embedding", gallery.Count,
                    progress => VisualSearch.BuildIndex(indexPath, model, gallery, appending, options, progress, cancel.Token));
            }
            else
            {
                var dataFormat = DatasetOptions.Formats[parse.GetValue(format)!];
                var dataset = DatasetOptions.Read(parse.GetValue(data)!.FullName, parse.GetValue(format)!);
                var chosen = Enum.GetValues<EvaluationSplit>().First(s => s.ToFileToken() == parse.GetValue(split));
                var indices = dataset.IndicesOf(chosen)
                    .Where(i => dataFormat != DeepFashionFormat.ConsumerToShop || dataset.Samples[i].Source == ImageSource.Shop).ToArray();
                if (indices.Length == 0) throw new ArgumentException($"'{dataset.Root}' has no '{chosen.ToFileToken()}' images to index.");
                added = ProgressDisplay.WithProgress("embedding", indices.Length,
                    progress => VisualSearch.BuildIndex(indexPath, model, dataset, indices, appending, options, progress, cancel.Token));
            }
            AnsiConsole.MarkupLineInterpolated($"{(appending ? "appended" : "indexed")} {added:N0} images into [bold]{indexPath}[/] ({model.Fingerprint})");
            return 0;
        });
        return command;
    }

    /// <summary>Reads <c>path [item_id]</c> lines; blank lines and lines starting with # are skipped.</summary>
    private static List<GalleryImage> ReadImageList(string listPath)
    {
        if (!File.Exists(listPath)) throw new FileNotFoundException($"Image list '{listPath}' not found.", listPath);
        string folder = Path.GetDirectoryName(listPath)!;
        var images = new List<GalleryImage>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(listPath))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 2)
                throw new FormatException($"{listPath}, line {lineNumber}: expected 'path [item_id]', found {fields.Length} fields (paths with spaces are not supported).");
            images.Add(new GalleryImage(Path.GetFullPath(fields[0], folder), fields.Length == 2 ? fields[1] : ""));
        }
        if (images.Count == 0) throw new FormatException($"Image list '{listPath}' names no images.");
        return images;
    }
}
