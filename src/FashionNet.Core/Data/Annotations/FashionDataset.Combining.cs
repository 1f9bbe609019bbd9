namespace FashionNet.Data.Annotations;

public sealed partial class FashionDataset
{
    /// <summary>
    /// A copy (same items, splits, order and tables) whose samples carry the landmark annotations of
    /// <paramref name="annotated"/>, a set of some of the same photos read from another folder (such as
    /// <c>deepfashion-inshop-landmarks</c> for <c>deepfashion-inshop-sample</c>), matched by relative image path. Each
    /// sample that has landmarks there takes its landmarks, clothes type (which fixes the landmark slots, so it replaces
    /// any this set had) and variation type; every other sample is unchanged. The annotated set's bounding boxes (and
    /// pose types, which come with them) are NOT copied: the loader crops a sample to its box when it has one, and this
    /// set's photos are framed whole, so boxes on only the annotated subset would frame its photos differently from the
    /// rest, at training and at evaluation alike.
    /// </summary>
    /// <param name="annotated">The set with the landmarks; each of its images must be in this set, in the same split and item.</param>
    /// <exception cref="ArgumentException">
    /// An image of <paramref name="annotated"/> is not in this set, or is in another split or another item here (the two
    /// sets would then disagree about what the photo is for, and a test photo could end up training the landmarks).
    /// </exception>
    public FashionDataset WithLandmarksFrom(FashionDataset annotated)
    {
        ArgumentNullException.ThrowIfNull(annotated);
        var samples = Samples.ToArray();
        var missing = new List<string>();
        foreach (var source in annotated.Samples)
        {
            if (!_sampleIndex.TryGetValue(source.ImagePath, out int index))
            {
                missing.Add(source.ImagePath);
                continue;
            }
            var target = samples[index];
            if (target.Split != source.Split)
            {
                throw new ArgumentException($"Image '{source.ImagePath}' is in split '{SplitName(source.Split)}' in {annotated.Root} but in " +
                    $"'{SplitName(target.Split)}' in {Root}: landmarks attach only between sets with the same splits.", nameof(annotated));
            }
            if (target.ItemId != source.ItemId)
            {
                throw new ArgumentException($"Image '{source.ImagePath}' belongs to item '{source.ItemId}' in {annotated.Root} but to " +
                    $"'{target.ItemId}' in {Root}: landmarks attach only between sets with the same items.", nameof(annotated));
            }
            if (source.Landmarks is not null)
                samples[index] = target with { Landmarks = source.Landmarks, ClothesType = source.ClothesType, VariationType = source.VariationType };
        }
        if (missing.Count > 0)
        {
            throw new ArgumentException($"{missing.Count:N0} image(s) of {annotated.Root} are not in {Root} (the first: '{missing[0]}'): " +
                "landmarks attach by relative image path, to the same photos only.", nameof(annotated));
        }
        return new FashionDataset(Format, Root, samples, Items, Categories, Attributes, Pairs, Report);
    }

    /// <summary>
    /// A copy that teaches landmarks and nothing else: the training images with a landmark annotation keep it (with their
    /// clothes, pose and variation types and their box), lose their item, category and attributes, and stay in the train
    /// split; every other image leaves every split. The item, category and attribute tables are empty. Concatenated after
    /// a retrieval set (<see cref="Concat"/>), its images can join that set's batches (<see cref="Loading.MixedBatchSampler"/>)
    /// where only the landmark and visibility terms find labels on them, and validation never meets them.
    /// </summary>
    /// <exception cref="ArgumentException">No training image has landmarks.</exception>
    public FashionDataset LandmarksOnly()
    {
        var samples = Samples.Select(s => s with
        {
            ItemId = null, ItemIndex = null, CategoryLabel = null, Attributes = null,
            Split = s.Split == EvaluationSplit.Train && s.Landmarks is not null ? EvaluationSplit.Train : null,
        }).ToList();
        if (!samples.Any(s => s.Split == EvaluationSplit.Train))
            throw new ArgumentException($"The dataset at '{Root}' has no training image with landmarks.");
        return new FashionDataset(Format, Root, samples, [], [], [], [], Report);
    }

    /// <summary>
    /// One dataset holding every sample of <paramref name="datasets"/>, in order (for instance real landmark photos and
    /// the built-in synthetic set as one stage-1 set). Splits are kept. Image paths become absolute, so sets from
    /// different roots coexist (<see cref="ImageFullPath"/> and <see cref="TryGetSample"/> take them as they are); the
    /// result's <see cref="Root"/> is the deepest folder holding every set's root. Item ids become
    /// <c>{k}:{item_id}</c>, with <c>k</c> the 0-based position of the set, so the ids (and item indices) of two sets
    /// never collide. Categories: one table, each set's names after those of the sets before it, labels shifted to
    /// match; names are never merged, so put first the set whose numbering must stay as it is. Attributes: kept when
    /// every set that has attributes has the same table (names and count), which becomes the result's, and the
    /// samples of sets without attributes carry none; when two sets' tables differ, no sample keeps attributes (a
    /// column of one table means another attribute in the other). Parse reports are joined.
    /// </summary>
    /// <param name="datasets">The sets, at least one; all of one <see cref="Format"/>.</param>
    /// <exception cref="ArgumentException">
    /// No set, sets of different formats (the format fixes the splits and the evaluation protocol), a set with
    /// Consumer-to-shop pairs, a set with category labels beyond its category names (a shifted label would name
    /// nothing), or an image file in two sets.
    /// </exception>
    public static FashionDataset Concat(params FashionDataset[] datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Length == 0) throw new ArgumentException("Give at least one dataset to concatenate.", nameof(datasets));
        foreach (var dataset in datasets) CheckConcatenable(dataset, datasets[0].Format);

        bool keepAttributes = AttributeTablesAgree(datasets, out var attributes);
        var samples = new List<FashionSample>(datasets.Sum(d => d.Samples.Count));
        var items = new List<string>();
        var categories = new List<CategoryInfo>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var report = new ParseReport();
        for (int k = 0; k < datasets.Length; k++)
        {
            var dataset = datasets[k];
            int itemOffset = items.Count, categoryOffset = categories.Count;
            items.AddRange(dataset.Items.Select(id => $"{k}:{id}"));
            categories.AddRange(dataset.Categories);
            foreach (var sample in dataset.Samples)
            {
                string path = Path.GetFullPath(dataset.ImageFullPath(sample));
                if (!paths.Add(path)) throw new ArgumentException($"Image '{path}' is in two of the datasets to concatenate.", nameof(datasets));
                samples.Add(sample with
                {
                    ImagePath = path,
                    ItemId = sample.ItemId is null ? null : $"{k}:{sample.ItemId}",
                    ItemIndex = sample.ItemIndex + itemOffset,
                    CategoryLabel = sample.CategoryLabel + categoryOffset,
                    Attributes = keepAttributes ? sample.Attributes : null,
                });
            }
            foreach (var issue in dataset.Report.Issues) report.Add(issue.File, issue.Line, issue.Problem);
        }
        return new FashionDataset(datasets[0].Format, CommonFolder(datasets.Select(d => d.Root).ToArray()), samples, items, categories,
            keepAttributes ? attributes : [], [], report);
    }

    private static void CheckConcatenable(FashionDataset dataset, DeepFashionFormat format)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Format != format)
        {
            throw new ArgumentException($"{dataset.Root} is in the {dataset.Format} format and the first dataset in {format}: only datasets of " +
                "one format concatenate (the format fixes the splits and the evaluation protocol).", "datasets");
        }
        if (dataset.Pairs.Count > 0)
            throw new ArgumentException($"{dataset.Root} has Consumer-to-shop pairs, which a concatenation does not carry.", "datasets");
        int highestLabel = dataset.Samples.Max(s => s.CategoryLabel) ?? 0;
        if (highestLabel > dataset.Categories.Count)
        {
            throw new ArgumentException($"{dataset.Root} has category labels up to {highestLabel} but {dataset.Categories.Count} category names: " +
                "a concatenation numbers each set's classes after the names of the sets before it.", "datasets");
        }
    }

    /// <summary>Whether every set with attributes has the same attribute table; <paramref name="table"/> is that table (empty when no set has attributes).</summary>
    private static bool AttributeTablesAgree(IReadOnlyList<FashionDataset> datasets, out IReadOnlyList<AttributeInfo> table)
    {
        var withAttributes = datasets.Where(d => d.AttributeCount > 0).ToList();
        table = withAttributes.Count > 0 ? withAttributes[0].Attributes : [];
        var first = withAttributes.FirstOrDefault();
        return withAttributes.All(d => d.AttributeCount == first!.AttributeCount && d.Attributes.SequenceEqual(first.Attributes));
    }

    /// <summary>The deepest folder that is or holds every one of the (full) paths; empty when they share none.</summary>
    private static string CommonFolder(IReadOnlyList<string> roots)
    {
        for (string? folder = roots[0]; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            string prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
            if (roots.All(root => root == folder || root.StartsWith(prefix, StringComparison.Ordinal))) return folder;
        }
        return "";
    }

    private static string SplitName(EvaluationSplit? split) => split?.ToFileToken() ?? "(none)";
}
