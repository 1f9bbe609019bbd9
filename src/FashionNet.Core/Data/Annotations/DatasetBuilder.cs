using System.Text;

namespace FashionNet.Data.Annotations;

/// <summary>What the files have said so far about one image, with where it was declared (for error messages).</summary>
internal sealed class SampleDraft(string imagePath, string declaredIn, int line)
{
    public string ImagePath { get; } = imagePath;

    public string DeclaredIn { get; } = declaredIn;

    public int Line { get; } = line;

    public int? ItemIndex { get; set; }

    public EvaluationSplit? Split { get; set; }

    public ImageSource? Source { get; set; }

    public ClothesType? ClothesType { get; set; }

    public string? ClothesTypeFile { get; set; }

    public int? PoseType { get; set; }

    public int? VariationType { get; set; }

    public BoundingBox? Box { get; set; }

    public LandmarkSet? Landmarks { get; set; }

    public int? CategoryLabel { get; set; }

    public int AttributeRow { get; set; } = -1;

    /// <summary>Index in the built dataset; -1 while building and for dropped samples.</summary>
    public int Index { get; set; } = -1;
}

/// <summary>Collects samples, items, name tables and pairs while the list files are read, then checks images and builds the dataset.</summary>
internal sealed class DatasetBuilder(DeepFashionFormat format, string root, ReadContext context)
{
    private readonly Dictionary<string, SampleDraft> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _itemIndex = new(StringComparer.Ordinal);
    private bool _itemsFixed;

    public ReadContext Context { get; } = context;

    public string Root { get; } = root;

    public List<SampleDraft> Samples { get; } = [];

    public List<string> Items { get; } = [];

    public List<CategoryInfo> Categories { get; } = [];

    public List<AttributeInfo> Attributes { get; } = [];

    public AttributeMatrix? AttributeMatrix { get; set; }

    /// <summary>Attribute matrix row of each item (In-shop, Consumer-to-shop), -1 where none.</summary>
    public List<int> ItemAttributeRows { get; } = [];

    public List<(SampleDraft Consumer, SampleDraft Shop, int Item, EvaluationSplit Split)> Pairs { get; } = [];

    /// <summary>Fixes the item table to an item list file: partition rows must then name listed items.</summary>
    public void FixItems(IEnumerable<string> items)
    {
        foreach (string item in items) AddItem(item);
        _itemsFixed = true;
    }

    /// <summary>A partition row's item must be in the item list file, when there is one.</summary>
    public void CheckItem(in ListRow row, string itemId)
    {
        if (_itemsFixed && !_itemIndex.ContainsKey(itemId)) throw row.Error($"item '{itemId}' is not in the item list file");
    }

    /// <summary>Index of an item (checked with <see cref="CheckItem"/>), added to the table when new.</summary>
    public int ItemIndexFor(string itemId) => _itemIndex.TryGetValue(itemId, out int index) ? index : AddItem(itemId);

    /// <summary>Index of an already known item, for rows of item annotation files.</summary>
    public int KnownItem(in ListRow row, string itemId) =>
        _itemIndex.TryGetValue(itemId, out int index) ? index : throw row.Error($"item '{itemId}' has no images in the partition");

    public SampleDraft? TryFind(string imagePath) => _byPath.GetValueOrDefault(imagePath);

    /// <summary>The sample of an annotation row's image, which the declaring file must list; looked up without allocating a string.</summary>
    public SampleDraft Find(in ListRow row, ReadOnlySpan<byte> imageName, string declaringFile)
    {
        Span<char> name = imageName.Length <= 512 ? stackalloc char[imageName.Length] : new char[imageName.Length];
        name = name[..Encoding.UTF8.GetChars(imageName, name)];
        return _byPath.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var draft)
            ? draft
            : throw row.Error($"image '{name}' is not in {Path.GetFileName(declaringFile)}");
    }

    /// <summary>Declares a new image; a second declaration of the same image is an error.</summary>
    public SampleDraft Add(in ListRow row, string imagePath, string file)
    {
        if (_byPath.TryGetValue(imagePath, out var first))
            throw row.Error($"duplicate image '{imagePath}' (first on line {first.Line})");
        CheckRelative(row, imagePath);
        var draft = new SampleDraft(imagePath, file, row.Line);
        _byPath.Add(imagePath, draft);
        Samples.Add(draft);
        return draft;
    }

    /// <summary>Image paths must stay inside the dataset root.</summary>
    public static void CheckRelative(in ListRow row, string imagePath)
    {
        bool escapes = Path.IsPathRooted(imagePath);
        foreach (var segment in imagePath.AsSpan().SplitAny('/', '\\'))
            escapes |= imagePath.AsSpan()[segment].SequenceEqual("..");
        if (escapes) throw row.Error($"image path '{imagePath}' must be relative to the dataset root and stay inside it");
    }

    /// <summary>Sets the clothes type, which the box and landmark files both give and must agree on.</summary>
    public static void SetClothesType(in ListRow row, SampleDraft draft, ClothesType clothesType, string file)
    {
        if (draft.ClothesType is { } earlier && earlier != clothesType)
            throw row.Error($"clothes type {(int)clothesType} disagrees with clothes type {(int)earlier} in {Path.GetFileName(draft.ClothesTypeFile)}");
        draft.ClothesType = clothesType;
        draft.ClothesTypeFile ??= file;
    }

    public FashionDataset Build()
    {
        var kept = new List<SampleDraft>(Samples.Count);
        foreach (var draft in Samples)
        {
            if (Context.Options.CheckImageFiles && !File.Exists(Path.Combine(Root, draft.ImagePath)))
            {
                string consequence = format == DeepFashionFormat.ConsumerToShop ? "sample and its pairs dropped" : "sample dropped";
                Context.Fail(new DeepFashionFormatException(draft.DeclaredIn, draft.Line,
                    $"image file '{draft.ImagePath}' not found under the dataset root {Root}"), consequence);
                continue;
            }
            draft.Index = kept.Count;
            kept.Add(draft);
        }

        var samples = kept.Select(ToSample).ToArray();
        var pairs = Pairs
            .Where(p => p.Consumer.Index >= 0 && p.Shop.Index >= 0)
            .Select(p => new ConsumerShopPair(p.Consumer.Index, p.Shop.Index, p.Item, p.Split))
            .ToArray();
        return new FashionDataset(format, Root, samples, Items.ToArray(), Categories.ToArray(), Attributes.ToArray(), pairs, Context.Report);
    }

    private FashionSample ToSample(SampleDraft draft)
    {
        int attributeRow = draft.AttributeRow;
        if (attributeRow < 0 && draft.ItemIndex is { } item && item < ItemAttributeRows.Count) attributeRow = ItemAttributeRows[item];
        return new FashionSample
        {
            ImagePath = draft.ImagePath,
            ItemId = draft.ItemIndex is { } itemIndex ? Items[itemIndex] : null,
            ItemIndex = draft.ItemIndex,
            Split = draft.Split,
            Source = draft.Source,
            ClothesType = draft.ClothesType,
            PoseType = draft.PoseType,
            VariationType = draft.VariationType,
            BoundingBox = draft.Box,
            Landmarks = draft.Landmarks,
            CategoryLabel = draft.CategoryLabel,
            Attributes = attributeRow >= 0 ? new AttributeLabels(AttributeMatrix!, attributeRow) : null,
        };
    }

    private int AddItem(string itemId)
    {
        int index = Items.Count;
        _itemIndex.Add(itemId, index);
        Items.Add(itemId);
        ItemAttributeRows.Add(-1);
        return index;
    }
}
