using FashionNet.Data.Annotations;

namespace FashionNet.Data.Synthetic;

/// <summary>One synthetic garment: its identity and the look shared by all its views.</summary>
/// <param name="Index">0-based item index.</param>
/// <param name="ItemId">DeepFashion-style item id (<c>id_00000001</c>).</param>
/// <param name="Category">Garment category.</param>
/// <param name="CategoryLabel">1-based category label (index into <see cref="GarmentCatalog.Categories"/> plus one).</param>
/// <param name="PrimaryColor">Index into <see cref="GarmentCatalog.Colors"/>.</param>
/// <param name="SecondaryColor">Index into <see cref="GarmentCatalog.Colors"/> (equal to the primary for solid garments).</param>
/// <param name="Pattern">Surface pattern.</param>
/// <param name="PatternScale">Pattern period as a fraction of the garment height.</param>
/// <param name="IsTrain">Whether the item is in the training split (otherwise its views are queries and gallery images).</param>
/// <param name="Split">Category/Landmark benchmark split of all its views: <c>train</c>, <c>val</c> or <c>test</c>.</param>
/// <param name="Attributes">Per attribute of <see cref="GarmentCatalog.Attributes"/>: 1 positive, -1 negative, 0 unknown (sleeves of lower-body garments).</param>
public sealed record SyntheticItem(
    int Index, string ItemId, GarmentCategory Category, int CategoryLabel, int PrimaryColor, int SecondaryColor,
    GarmentPattern Pattern, float PatternScale, bool IsTrain, string Split, IReadOnlyList<sbyte> Attributes);

/// <summary>One image of a synthetic item, with its exact annotations (as written to the list files).</summary>
/// <param name="Item">The item shown.</param>
/// <param name="ViewIndex">0-based view index within the item.</param>
/// <param name="ImageName">Relative image path, as in the list files (<c>img/SYNTH/Tee/id_00000001/01_1_front.jpg</c>).</param>
/// <param name="PoseType">DeepFashion pose type: 1 frontal, 2 side, 4 full (zoomed out), 5 zoomed in.</param>
/// <param name="VariationType">DeepFashion landmark variation type: 1 normal, 2 medium pose, 4 medium zoom-in.</param>
/// <param name="Landmarks">Landmarks in integer pixel coordinates in the slots of the clothes type.</param>
/// <param name="Box">Bounding box of the drawn garment: first and last garment pixel columns and rows (integers).</param>
/// <param name="InShopStatus">In-shop evaluation status: <c>train</c>, <c>query</c> or <c>gallery</c>.</param>
public sealed record SyntheticView(
    SyntheticItem Item, int ViewIndex, string ImageName, int PoseType, int VariationType,
    LandmarkSet Landmarks, BoundingBox Box, string InShopStatus);
