namespace FashionNet.Data.Annotations;

/// <summary>
/// The garment categories that In-shop image paths carry (<c>img/{MEN|WOMEN}/{Category}/id_XXXXXXXX/NN_view.jpg</c>),
/// read when <see cref="ReaderOptions.InShopCategoriesFromPath"/> is on.
/// </summary>
/// <remarks>
/// Gender is not part of the class: <c>MEN/Denim</c> and <c>WOMEN/Denim</c> are both <c>Denim</c>. The category head
/// is meant to recognise garments, and a photo of the right garment type worn by the other gender must count as a hit,
/// not a miss. The table is fixed (the 17 garment folders of In-shop across both genders, sorted ordinally), not the
/// names a given folder happens to contain, so every In-shop set (the full benchmark, a sample, a subset of it)
/// numbers the classes the same way and a model trained on one is scored correctly on another.
/// </remarks>
public static class InShopCategories
{
    private static readonly string[] Genders = ["MEN", "WOMEN"];

    /// <summary>The 17 categories in label order (label = index + 1), each with the clothes type its garments are.</summary>
    public static IReadOnlyList<CategoryInfo> All { get; } =
    [
        new("Blouses_Shirts", ClothesType.Upper),
        new("Cardigans", ClothesType.Upper),
        new("Denim", ClothesType.Lower),
        new("Dresses", ClothesType.FullBody),
        new("Graphic_Tees", ClothesType.Upper),
        new("Jackets_Coats", ClothesType.Upper),
        new("Jackets_Vests", ClothesType.Upper),
        new("Leggings", ClothesType.Lower),
        new("Pants", ClothesType.Lower),
        new("Rompers_Jumpsuits", ClothesType.FullBody),
        new("Shirts_Polos", ClothesType.Upper),
        new("Shorts", ClothesType.Lower),
        new("Skirts", ClothesType.Lower),
        new("Suiting", ClothesType.Upper),
        new("Sweaters", ClothesType.Upper),
        new("Sweatshirts_Hoodies", ClothesType.Upper),
        new("Tees_Tanks", ClothesType.Upper),
    ];

    /// <summary>
    /// The 1-based category label of a partition row's image path; a path that does not follow the layout, or names a
    /// folder that is not one of <see cref="All"/>, is an error of that row.
    /// </summary>
    internal static int LabelOf(in ListRow row, string imagePath)
    {
        var segments = imagePath.Split('/', '\\');
        if (segments.Length != 5 || segments[0] != "img" || !Genders.Contains(segments[1]) || segments.Any(s => s.Length == 0))
            throw row.Error($"image path '{imagePath}' does not follow the In-shop layout img/{{MEN|WOMEN}}/{{Category}}/{{item_id}}/{{file}}, so it gives no category");
        for (int i = 0; i < All.Count; i++)
            if (string.Equals(All[i].Name, segments[2], StringComparison.Ordinal)) return i + 1;
        throw row.Error($"image path '{imagePath}': unknown In-shop category folder '{segments[2]}' (expected one of {string.Join(", ", All.Select(c => c.Name))})");
    }
}
