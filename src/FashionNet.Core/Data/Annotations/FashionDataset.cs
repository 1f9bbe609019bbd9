using System.Collections.ObjectModel;

namespace FashionNet.Data.Annotations;

/// <summary>A category of <c>list_category_cloth.txt</c>, or of In-shop image paths (<see cref="InShopCategories"/>).</summary>
/// <param name="Name">Category name, e.g. <c>Blouse</c>.</param>
/// <param name="Type">Clothes type the category belongs to (the file's <c>category_type</c>).</param>
public sealed record CategoryInfo(string Name, ClothesType Type);

/// <summary>An attribute of <c>list_attr_cloth.txt</c>.</summary>
/// <param name="Name">Attribute name; it may contain spaces (e.g. <c>a-line dress</c>).</param>
/// <param name="Type">
/// The file's <c>attribute_type</c>; in Category and Attribute 1 texture, 2 fabric, 3 shape, 4 part, 5 style. In-shop
/// lists names only: null.
/// </param>
public sealed record AttributeInfo(string Name, int? Type);

/// <summary>A Consumer-to-shop pair: a consumer photo and a shop image of the same item.</summary>
/// <param name="ConsumerIndex">Index of the consumer image in <see cref="FashionDataset.Samples"/>.</param>
/// <param name="ShopIndex">Index of the shop image in <see cref="FashionDataset.Samples"/>.</param>
/// <param name="ItemIndex">Index of the item in <see cref="FashionDataset.Items"/>.</param>
/// <param name="Split">Evaluation split of the pair.</param>
public sealed record ConsumerShopPair(int ConsumerIndex, int ShopIndex, int ItemIndex, EvaluationSplit Split);

/// <summary>A DeepFashion benchmark as read by <see cref="DeepFashionReader"/>: one <see cref="FashionSample"/> per image plus the name tables.</summary>
public sealed partial class FashionDataset
{
    private readonly Dictionary<string, int> _sampleIndex;

    internal FashionDataset(
        DeepFashionFormat format,
        string root,
        IReadOnlyList<FashionSample> samples,
        IReadOnlyList<string> items,
        IReadOnlyList<CategoryInfo> categories,
        IReadOnlyList<AttributeInfo> attributes,
        IReadOnlyList<ConsumerShopPair> pairs,
        ParseReport report)
    {
        Format = format;
        Root = root;
        Samples = samples;
        Items = items;
        Categories = categories;
        Attributes = attributes;
        Pairs = pairs;
        Report = report;
        _sampleIndex = new Dictionary<string, int>(samples.Count, StringComparer.Ordinal);
        for (int i = 0; i < samples.Count; i++) _sampleIndex.Add(samples[i].ImagePath, i);
        AttributeCount = attributes.Count > 0 ? attributes.Count : samples.FirstOrDefault(s => s.Attributes is not null)?.Attributes?.Count ?? 0;
        HasItems = samples.Any(s => s.ItemIndex is not null);
    }

    /// <summary>Which benchmark's files were read.</summary>
    public DeepFashionFormat Format { get; }

    /// <summary>
    /// Full path of the dataset root; image paths are relative to it. A concatenation (<see cref="Concat"/>) has absolute
    /// image paths, and its root is the deepest folder that holds every concatenated root.
    /// </summary>
    public string Root { get; }

    /// <summary>One sample per image, in the order of the file that declares the images.</summary>
    public IReadOnlyList<FashionSample> Samples { get; }

    /// <summary>Item ids; <see cref="FashionSample.ItemIndex"/> indexes this list. Empty for benchmarks without items.</summary>
    public IReadOnlyList<string> Items { get; }

    /// <summary>
    /// Categories from <c>list_category_cloth.txt</c> (or In-shop's <see cref="InShopCategories.All"/> when read with
    /// <see cref="ReaderOptions.InShopCategoriesFromPath"/>), indexed by <see cref="FashionSample.CategoryIndex"/>; empty when absent.
    /// </summary>
    public IReadOnlyList<CategoryInfo> Categories { get; }

    /// <summary>Attributes from <c>list_attr_cloth.txt</c>, in label order; empty when absent.</summary>
    public IReadOnlyList<AttributeInfo> Attributes { get; }

    /// <summary>
    /// Binary attributes per labelled sample: the attribute table's size, or the label count of the samples when the
    /// benchmark has labels without a table; 0 without attributes.
    /// </summary>
    public int AttributeCount { get; }

    /// <summary>Whether samples carry item identities (retrieval benchmarks), which P x K sampling and triplets need.</summary>
    public bool HasItems { get; }

    /// <summary>Consumer-to-shop pairs; empty for the other benchmarks.</summary>
    public IReadOnlyList<ConsumerShopPair> Pairs { get; }

    /// <summary>Problems that lenient reading skipped; empty after a strict read.</summary>
    public ParseReport Report { get; }

    /// <summary>Full path of a sample's image file.</summary>
    public string ImageFullPath(FashionSample sample) => Path.Combine(Root, sample.ImagePath);

    /// <summary>The sample of an image path (relative, as in the list files; absolute in a concatenation), if there is one.</summary>
    public bool TryGetSample(string imagePath, out FashionSample sample)
    {
        if (_sampleIndex.TryGetValue(imagePath, out int index))
        {
            sample = Samples[index];
            return true;
        }
        sample = null!;
        return false;
    }

    /// <summary>
    /// A copy for model selection without the test split: <paramref name="itemCount"/> training items, drawn with
    /// <paramref name="seed"/>, leave the train split and become the query / gallery split (each item's images, sorted
    /// by path, alternate query, gallery, query, ...), and the dataset's own query and gallery images leave every split.
    /// Training on the copy never sees the test items, and validating on it never measures on them.
    /// </summary>
    /// <param name="itemCount">Training items to hold out; each needs at least two images (one query, one gallery).</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than <paramref name="itemCount"/> + 2 training items have two images or more (two must stay for triplets).</exception>
    public FashionDataset WithHeldOutItems(int itemCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        var trainImagesByItem = Enumerable.Range(0, Samples.Count)
            .Where(i => Samples[i].Split == EvaluationSplit.Train && Samples[i].ItemIndex is not null)
            .GroupBy(i => Samples[i].ItemIndex!.Value)
            .Where(g => g.Count() >= 2)
            .OrderBy(g => g.Key)
            .ToList();
        if (trainImagesByItem.Count < itemCount + 2)
        {
            throw new ArgumentOutOfRangeException(nameof(itemCount), itemCount,
                $"The train split has {trainImagesByItem.Count} items with at least two images; holding out {itemCount} would leave fewer than two to train on.");
        }

        var random = new Random(seed);
        var heldOut = trainImagesByItem.OrderBy(_ => random.Next()).Take(itemCount);
        var split = Samples.Select(s => s.Split is EvaluationSplit.Query or EvaluationSplit.Gallery ? null : s.Split).ToArray();
        foreach (var item in heldOut)
        {
            var images = item.OrderBy(i => Samples[i].ImagePath, StringComparer.Ordinal).ToList();
            for (int k = 0; k < images.Count; k++) split[images[k]] = k % 2 == 0 ? EvaluationSplit.Query : EvaluationSplit.Gallery;
        }
        var samples = Samples.Select((s, i) => s.Split == split[i] ? s : s with { Split = split[i] }).ToList();
        return new FashionDataset(Format, Root, samples, Items, Categories, Attributes, Pairs, Report);
    }

    /// <summary>Indices into <see cref="Samples"/> of the images of one split, in order.</summary>
    public IReadOnlyList<int> IndicesOf(EvaluationSplit split)
    {
        var indices = new List<int>();
        for (int i = 0; i < Samples.Count; i++)
            if (Samples[i].Split == split) indices.Add(i);
        return new ReadOnlyCollection<int>(indices);
    }
}
