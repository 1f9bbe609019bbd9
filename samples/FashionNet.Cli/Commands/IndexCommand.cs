using System.CommandLine;
using FashionNet.Cli.Reporting;
using FashionNet.Data.Annotations;
using FashionNet.Inference;
using FashionNet.Retrieval;
using FashionNet.Retrieval.PostgreSql;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet index</c>: embeds a gallery (a dataset split, or a list of image files) into a retrieval index file,
/// or appends to one built with the same embedding; or loads it into a PostgreSQL gallery (<c>--store</c>), resuming
/// where an interrupted run stopped, optionally one of n disjoint parts (<c>--shard i/n</c>) so that n processes load at once.
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var command = new Command("index", "Embed a gallery into a retrieval index file (or append to one), or into a PostgreSQL gallery.");
        var embedder = EmbedderChoice.AddTo(command);
        var data = new Option<DirectoryInfo>("--data") { Description = "Dataset folder whose split to index." };
        var format = DatasetOptions.Format("inshop", "c2s", "category", "landmarks", "synthetic");
        format.Required = false;
        format.DefaultValueFactory = _ => "inshop";
        var split = new Option<string>("--split") { Description = "Split of --data to index: train, val, test, query or gallery (c2s: its shop images).", DefaultValueFactory = _ => "gallery" };
        split.AcceptOnlyFromAmong([.. Enum.GetValues<EvaluationSplit>().Select(s => s.ToFileToken())]);
        var images = new Option<FileInfo>("--images")
        {
            Description = "Instead of --data: a text file with one image per line, 'path [item_id [category]]' (relative paths from the file's folder; # comments).",
        };
        var output = new Option<FileInfo>("--out") { Description = "The index file." };
        var append = new Option<bool>("--append") { Description = "Add to an existing index built with the same embedding." };
        var store = GalleryStoreChoice.AddTo(command);
        var shard = new Option<string>("--shard")
        {
            Description = "With --store: load only part i of n (e.g. 0/2 and 1/2 in two processes); the split is by image path, the same on every machine.",
        };
        var writeBatch = new Option<int>("--write-batch") { Description = "With --store: images embedded and written per transaction.", DefaultValueFactory = _ => 1024 };
        var hnsw = new Option<bool>("--hnsw") { Description = "With --store: build the gallery's HNSW index after loading (once every shard is loaded)." };
        var categoriesFromPath = DatasetOptions.CategoriesFromPath();
        categoriesFromPath.Description += " The category is stored with each image, for filtered searches.";
        foreach (var option in new Option[] { data, format, split, images, output, append, shard, writeBatch, hnsw, categoriesFromPath }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if ((result.GetResult(data) is null) == (result.GetResult(images) is null)) result.AddError("Give either --data DIR or --images LISTFILE.");
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            bool toStore = Given(store.Store);
            if (Given(output) == toStore) result.AddError("Give either --out FILE or --store CONNECTION.");
            if (toStore && Given(append)) result.AddError("--append is for index files: a --store load always adds (and resumes).");
            if (!toStore && (Given(shard) || Given(hnsw) || Given(writeBatch) || Given(store.Gallery)))
                result.AddError("--shard, --write-batch, --hnsw and --gallery need --store.");
        });
        command.SetAction(parse =>
        {
            var part = parse.GetValue(shard) is { } shardText ? GalleryShard.Parse(shardText) : GalleryShard.All;
            if (parse.GetValue(writeBatch) < 1) throw new ArgumentException("--write-batch must be at least 1.");
            using var model = embedder.Load(parse);
            var options = embedder.Options(parse);
            using var cancel = CliCancellation.OnCtrlC();
            // Shards split by the image's name as written (list line or dataset-relative path), not by its full path, so
            // machines that mount the images elsewhere still agree on the parts.
            FashionDataset? dataset = null;
            int[] indices = [];
            List<GalleryImage> gallery = [];
            if (parse.GetValue(images) is { } list)
            {
                gallery = [.. ReadImageList(list.FullName).Where(entry => part.Contains(entry.Key)).Select(entry => entry.Image)];
            }
            else
            {
                var dataFormat = DatasetOptions.Formats[parse.GetValue(format)!];
                dataset = DatasetOptions.Read(parse.GetValue(data)!.FullName, parse.GetValue(format)!, parse.GetValue(categoriesFromPath));
                var chosen = Enum.GetValues<EvaluationSplit>().First(s => s.ToFileToken() == parse.GetValue(split));
                indices = [.. dataset.IndicesOf(chosen)
                    .Where(i => dataFormat != DeepFashionFormat.ConsumerToShop || dataset.Samples[i].Source == ImageSource.Shop)
                    .Where(i => part.Contains(dataset.Samples[i].ImagePath))];
                if (indices.Length == 0) throw new ArgumentException($"'{dataset.Root}' has no '{chosen.ToFileToken()}' images to index{(part.Count > 1 ? $" in shard {part}" : "")}.");
            }
            int total = dataset is null ? gallery.Count : indices.Length;

            if (store.ConnectionString(parse) is { } connectionString)
            {
                using var galleryStore = PgVectorGalleryStore.OpenOrCreateAsync(connectionString, model.Fingerprint, model.Dimension, store.Options(parse),
                    cancel.Token).GetAwaiter().GetResult();
                var loadOptions = new GalleryLoadOptions { WriteBatchSize = parse.GetValue(writeBatch), Embedding = options };
                var summary = ProgressDisplay.WithProgress("embedding and loading", total, progress => (dataset is null
                    ? VisualSearch.AddToStoreAsync(galleryStore, model, gallery, loadOptions, progress, cancel.Token)
                    : VisualSearch.AddToStoreAsync(galleryStore, model, dataset, indices, loadOptions, progress, cancel.Token)).GetAwaiter().GetResult());
                string shardNote = part.Count > 1 ? $" (shard {part})" : "";
                AnsiConsole.MarkupLineInterpolated(
                    $"loaded {summary.Added:N0} images into [bold]{galleryStore.Location}[/]{shardNote}; {summary.AlreadyStored:N0} were stored already ({model.Fingerprint})");
                if (parse.GetValue(hnsw))
                {
                    var built = galleryStore.BuildHnswIndexAsync(cancellationToken: cancel.Token).GetAwaiter().GetResult();
                    AnsiConsole.WriteLine(built is { } time ? $"built the HNSW index in {time.TotalSeconds:0.0} s" : "the HNSW index exists already");
                }
                return 0;
            }

            string indexPath = parse.GetValue(output)!.FullName;
            bool appending = parse.GetValue(append);
            int added = ProgressDisplay.WithProgress("embedding", total, progress => dataset is null
                ? VisualSearch.BuildIndex(indexPath, model, gallery, appending, options, progress, cancel.Token)
                : VisualSearch.BuildIndex(indexPath, model, dataset, indices, appending, options, progress, cancel.Token));
            AnsiConsole.MarkupLineInterpolated($"{(appending ? "appended" : "indexed")} {added:N0} images into [bold]{indexPath}[/] ({model.Fingerprint})");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Reads <c>path [item_id [category]]</c> lines; blank lines and lines starting with # are skipped. The key is the path
    /// as written (what <c>--shard</c> splits by).
    /// </summary>
    private static List<(string Key, GalleryImage Image)> ReadImageList(string listPath)
    {
        if (!File.Exists(listPath)) throw new FileNotFoundException($"Image list '{listPath}' not found.", listPath);
        string folder = Path.GetDirectoryName(listPath)!;
        var images = new List<(string Key, GalleryImage Image)>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(listPath))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3)
                throw new FormatException(
                    $"{listPath}, line {lineNumber}: expected 'path [item_id [category]]', found {fields.Length} fields (paths with spaces are not supported).");
            images.Add((fields[0], new GalleryImage(Path.GetFullPath(fields[0], folder), fields.Length >= 2 ? fields[1] : "", fields.Length == 3 ? fields[2] : "")));
        }
        if (images.Count == 0) throw new FormatException($"Image list '{listPath}' names no images.");
        return images;
    }
}
