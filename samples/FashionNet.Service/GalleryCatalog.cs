using FashionNet.Retrieval;

namespace FashionNet.Service;

/// <summary>
/// What the service knows about the index's entries besides their embeddings: item ids, photos, categories, and which
/// photos it may serve. A photo is served only when it lies inside <see cref="Root"/> and is of an image type; it is
/// addressed by its entry number, never by a path from the request.
/// </summary>
internal sealed class GalleryCatalog
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".png"] = "image/png",
        [".bmp"] = "image/bmp",
        [".webp"] = "image/webp",
    };

    private readonly string[] _itemIds;
    private readonly string[] _imagePaths;
    private readonly string?[] _categories;
    private readonly Dictionary<string, int[]> _entriesByItem;

    private GalleryCatalog(string root, string[] itemIds, string[] imagePaths)
    {
        Root = root;
        _itemIds = itemIds;
        _imagePaths = imagePaths;
        _categories = [.. imagePaths.Select((path, i) => CategoryOf(path, itemIds[i]))];
        _entriesByItem = Enumerable.Range(0, itemIds.Length).Where(i => itemIds[i].Length > 0)
            .GroupBy(i => itemIds[i], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        Categories = [.. _categories.OfType<string>().GroupBy(c => c, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CategoryCount(g.Key, g.Count()))];
    }

    /// <summary>The folder photos are served from.</summary>
    public string Root { get; }

    /// <summary>Number of entries.</summary>
    public int Count => _itemIds.Length;

    /// <summary>The categories the gallery's layout names, with their entry counts.</summary>
    public IReadOnlyList<CategoryCount> Categories { get; }

    /// <summary>Reads the entries of an open index.</summary>
    /// <param name="index">The index.</param>
    /// <param name="root">The folder to serve photos from; null for the deepest folder holding all of them.</param>
    public static GalleryCatalog Read(RetrievalIndex index, string? root)
    {
        var itemIds = new string[index.Count];
        var imagePaths = new string[index.Count];
        for (int i = 0; i < index.Count; i++)
        {
            itemIds[i] = index.GetItemId(i);
            imagePaths[i] = Path.GetFullPath(index.GetImagePath(i));
        }

        string servedRoot = root is not null ? Path.GetFullPath(root) : CommonFolder(imagePaths);
        return new GalleryCatalog(Path.TrimEndingDirectorySeparator(servedRoot), itemIds, imagePaths);
    }

    /// <summary>The item id of an entry (empty when unknown).</summary>
    public string ItemId(int entry) => _itemIds[entry];

    /// <summary>The category of an entry, from the gallery's layout; null when the layout does not say.</summary>
    public string? Category(int entry) => _categories[entry];

    /// <summary>Whether <paramref name="category"/> is one the gallery has.</summary>
    public bool HasCategory(string category) => Categories.Any(c => c.Name == category);

    /// <summary>The entries of an item, or null for an unknown item.</summary>
    public IReadOnlyList<int>? EntriesOf(string itemId) => _entriesByItem.GetValueOrDefault(itemId);

    /// <summary>The URL path of an entry's photo, or null when the photo is not served (outside the root, not an image type).</summary>
    public string? ImageUrl(int entry) => ServedFile(entry) is null ? null : $"/api/images/{entry}";

    /// <summary>An entry's photo file and content type, or null when it is not served.</summary>
    public (string Path, string ContentType)? ServedFile(int entry)
    {
        if (entry < 0 || entry >= _imagePaths.Length) return null;
        string path = _imagePaths[entry];
        if (!ContentTypes.TryGetValue(Path.GetExtension(path), out string? contentType)) return null;
        string relative = Path.GetRelativePath(Root, path);
        bool inside = !Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return inside ? (path, contentType) : null;
    }

    /// <summary>
    /// In-shop's layout <c>img/GROUP/CATEGORY/ITEM_ID/photo.jpg</c> names each photo's category: the folder holding the
    /// item's folder. Galleries laid out otherwise have no categories.
    /// </summary>
    private static string? CategoryOf(string imagePath, string itemId)
    {
        var itemFolder = Path.GetDirectoryName(imagePath);
        if (itemId.Length == 0 || itemFolder is null || Path.GetFileName(itemFolder) != itemId) return null;
        string? category = Path.GetFileName(Path.GetDirectoryName(itemFolder));
        return string.IsNullOrEmpty(category) ? null : category;
    }

    private static string CommonFolder(string[] paths)
    {
        if (paths.Length == 0) return Path.GetPathRoot(Environment.CurrentDirectory) ?? "/";
        string common = Path.GetDirectoryName(paths[0]) ?? paths[0];
        foreach (string path in paths)
        {
            while (!IsInside(path, common)) common = Path.GetDirectoryName(common) ?? common;
        }

        return common;
    }

    private static bool IsInside(string path, string folder) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || folder == Path.GetPathRoot(folder);
}

/// <summary>A category of the gallery and how many of its entries have it.</summary>
/// <param name="Name">The category, as the gallery's folders name it.</param>
/// <param name="Count">How many entries.</param>
public sealed record CategoryCount(string Name, int Count);
