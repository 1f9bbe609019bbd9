namespace FashionNet.Data.Annotations;

/// <summary>
/// Everything the annotation files say about one image. Parts a benchmark (or a dataset without the optional files)
/// does not provide are <see langword="null"/>.
/// </summary>
public sealed record FashionSample
{
    /// <summary>Image path relative to the dataset root, as written in the list files (e.g. <c>img/WOMEN/Dresses/id_00000002/02_1_front.jpg</c>).</summary>
    public required string ImagePath { get; init; }

    /// <summary>Item (clothes identity) id, e.g. <c>id_00000002</c> (In-shop, Consumer-to-shop).</summary>
    public string? ItemId { get; init; }

    /// <summary>0-based index of <see cref="ItemId"/> in <see cref="FashionDataset.Items"/>: the identity label for retrieval losses.</summary>
    public int? ItemIndex { get; init; }

    /// <summary>Evaluation split from the partition file.</summary>
    public EvaluationSplit? Split { get; init; }

    /// <summary>Consumer photo or shop image (Consumer-to-shop).</summary>
    public ImageSource? Source { get; init; }

    /// <summary>
    /// Clothes type from the box or landmark file, else (with <see cref="ReaderOptions.InShopCategoriesFromPath"/>) the
    /// category's; the landmark file's fixes which landmark slots are present.
    /// </summary>
    public ClothesType? ClothesType { get; init; }

    /// <summary>In-shop <c>pose_type</c> code of the box file (1 frontal .. 6 stand-alone).</summary>
    public int? PoseType { get; init; }

    /// <summary><c>variation_type</c> code of the landmark file (1 normal pose .. 5 large zoom-in).</summary>
    public int? VariationType { get; init; }

    /// <summary>Garment bounding box in image pixels.</summary>
    public BoundingBox? BoundingBox { get; init; }

    /// <summary>Landmarks in their 8 slots with the presence mask.</summary>
    public LandmarkSet? Landmarks { get; init; }

    /// <summary>Category label as the files write it: 1-based (see <see cref="CategoryIndex"/> for the class index).</summary>
    public int? CategoryLabel { get; init; }

    /// <summary>0-based category class index, <c>CategoryLabel - 1</c>; also the index into <see cref="FashionDataset.Categories"/>.</summary>
    public int? CategoryIndex => CategoryLabel - 1;

    /// <summary>Attribute labels: per image (Category and Attribute) or those of the item (In-shop, Consumer-to-shop).</summary>
    public AttributeLabels? Attributes { get; init; }
}
