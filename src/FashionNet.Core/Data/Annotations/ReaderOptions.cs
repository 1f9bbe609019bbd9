namespace FashionNet.Data.Annotations;

/// <summary>How <see cref="DeepFashionReader"/> treats problems and what it checks.</summary>
public sealed record ReaderOptions
{
    /// <summary>Strict reading (the default): the first problem throws a <see cref="DeepFashionFormatException"/>.</summary>
    public static ReaderOptions Strict { get; } = new();

    /// <summary>
    /// Skip bad rows instead of throwing, and record every skip in <see cref="FashionDataset.Report"/>. Problems with a
    /// whole file (missing required file, empty or binary file, bad count line or header) still throw.
    /// </summary>
    public bool Lenient { get; init; }

    /// <summary>Check that every image file exists under the dataset root (default on; turn off for speed).</summary>
    public bool CheckImageFiles { get; init; } = true;

    /// <summary>
    /// In-shop only (off by default): give every image the garment category its path names,
    /// <c>img/{MEN|WOMEN}/{Category}/...</c>. <see cref="FashionDataset.Categories"/> becomes the fixed table
    /// <see cref="InShopCategories.All"/> (17 classes, gender not part of the class: see there why) and each sample gets
    /// its 1-based <see cref="FashionSample.CategoryLabel"/>. A sample that the box and landmark files give no clothes
    /// type gets its category's; where they give one it is kept, even if it disagrees with the category's (the
    /// annotation, made per image, wins over the category's usual type). A path that does not follow the layout or
    /// names an unknown category folder is an error of its partition row (skipped and reported when
    /// <see cref="Lenient"/>). Reading another format with this option on is an <see cref="ArgumentException"/>.
    /// </summary>
    public bool InShopCategoriesFromPath { get; init; }
}
