using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static System.FormattableString;

namespace FashionNet.Data.Synthetic;

/// <summary>Where a written synthetic set put each benchmark (each folder has its own <c>img/</c>, <c>Anno/</c>, <c>Eval/</c>).</summary>
/// <param name="Root">The output folder.</param>
/// <param name="InShop">In-shop Clothes Retrieval layout.</param>
/// <param name="CategoryAndAttribute">Category and Attribute Prediction layout.</param>
/// <param name="LandmarkDetection">Fashion Landmark Detection layout.</param>
public sealed record SyntheticDatasetLayout(string Root, string InShop, string CategoryAndAttribute, string LandmarkDetection)
{
    /// <summary>The layout under an output folder.</summary>
    /// <param name="root">The output folder.</param>
    /// <returns>The benchmark folders under it.</returns>
    public static SyntheticDatasetLayout Under(string root) =>
        new(root, Path.Combine(root, "inshop"), Path.Combine(root, "category"), Path.Combine(root, "landmarks"));
}

/// <summary>
/// Writes a <see cref="SyntheticDataset"/> in the official DeepFashion formats (In-shop, Category and Attribute,
/// Landmark Detection; REFERENCE §2), so the same readers load it. The set is built in a temporary sibling folder
/// and renamed into place at the end, so a reader never sees a half-written set.
/// </summary>
public static class SyntheticDatasetWriter
{
    private static readonly string LandmarkHeader = "image_name clothes_type variation_type " + string.Join(' ',
        Enumerable.Range(1, LandmarkLayout.SlotCount).Select(i => $"landmark_visibility_{i} landmark_location_x_{i} landmark_location_y_{i}"));

    /// <summary>Renders every view and writes images and list files under <paramref name="outputDirectory"/>.</summary>
    /// <param name="dataset">The planned set.</param>
    /// <param name="outputDirectory">Target folder; must not exist (or be empty) unless <paramref name="overwrite"/>.</param>
    /// <param name="overwrite">Replace an existing folder.</param>
    /// <param name="cancellationToken">Stops the writing; the partial temporary folder is removed.</param>
    /// <returns>The folders of the three benchmark layouts.</returns>
    /// <exception cref="IOException">The target exists and is not empty, and <paramref name="overwrite"/> is false.</exception>
    public static SyntheticDatasetLayout Write(SyntheticDataset dataset, string outputDirectory, bool overwrite = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        string target = Path.GetFullPath(outputDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
            throw new IOException($"Output folder '{target}' exists and is not empty; choose another or allow overwriting.");
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("The output folder needs a parent folder.", nameof(outputDirectory));
        Directory.CreateDirectory(parent);

        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        try
        {
            WriteAll(dataset, SyntheticDatasetLayout.Under(staging), cancellationToken);
            Publish(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }

        return SyntheticDatasetLayout.Under(target);
    }

    private static void Publish(string staging, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        // Swap by renames so the target is never a mix of old and new files, then drop the old set.
        string retired = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
        Directory.Move(target, retired);
        Directory.Move(staging, target);
        Directory.Delete(retired, recursive: true);
    }

    private static void WriteAll(SyntheticDataset dataset, SyntheticDatasetLayout layout, CancellationToken cancellationToken)
    {
        string[] roots = [layout.InShop, layout.CategoryAndAttribute, layout.LandmarkDetection];
        IImageEncoder encoder = dataset.Options.ImageFormat == SyntheticImageFormat.Png
            ? new PngEncoder()
            : new JpegEncoder { Quality = dataset.Options.JpegQuality };
        foreach (string folder in dataset.Views.Select(v => Path.GetDirectoryName(v.ImageName)!).Distinct())
            foreach (string root in roots)
                Directory.CreateDirectory(Path.Combine(root, folder));

        Parallel.ForEach(dataset.Views, new ParallelOptions { CancellationToken = cancellationToken }, view =>
        {
            using Image<Rgb24> image = dataset.Render(view);
            using var encoded = new MemoryStream();
            image.Save(encoded, encoder);
            foreach (string root in roots) File.WriteAllBytes(Path.Combine(root, view.ImageName), encoded.ToArray());
        });
        cancellationToken.ThrowIfCancellationRequested();

        WriteInShop(dataset, layout.InShop);
        WriteCategoryAndAttribute(dataset, layout.CategoryAndAttribute);
        WriteLandmarkDetection(dataset, layout.LandmarkDetection);
    }

    private static void WriteInShop(SyntheticDataset dataset, string root)
    {
        IReadOnlyList<SyntheticView> views = dataset.Views;
        int width = NameWidth(views);
        WriteList(root, "Eval/list_eval_partition.txt", "image_name item_id evaluation_status",
            views.Select(v => Invariant($"{Pad(v.ImageName, width)}{v.Item.ItemId}  {v.InShopStatus}")));
        WriteList(root, "Anno/list_bbox_inshop.txt", "image_name clothes_type pose_type x_1 y_1 x_2 y_2",
            views.Select(v => Invariant($"{Pad(v.ImageName, width)}{(int)v.Item.Category.ClothesType}  {v.PoseType}  {BoxColumns(v)}")));
        WriteList(root, "Anno/list_landmarks_inshop.txt", LandmarkHeader, views.Select(v => LandmarkRow(v, width)));
        WriteFile(root, "Anno/list_item_inshop.txt",
            [dataset.Items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. dataset.Items.Select(i => i.ItemId)]);
        // In-shop's attribute list names the attributes only; the type column belongs to Category and Attribute.
        WriteList(root, "Anno/list_attr_cloth.txt", "attribute_name", GarmentCatalog.Attributes.Select(a => a.Name));
        WriteList(root, "Anno/list_attr_items.txt", "item_id attribute_labels",
            dataset.Items.Select(i => $"{i.ItemId} {string.Join(' ', i.Attributes.Select(LabelText))}"));
    }

    private static void WriteCategoryAndAttribute(SyntheticDataset dataset, string root)
    {
        IReadOnlyList<SyntheticView> views = dataset.Views;
        int width = NameWidth(views);
        WriteList(root, "Anno/list_category_cloth.txt", "category_name category_type",
            GarmentCatalog.Categories.Select(c => Invariant($"{c.Name,-20}{(int)c.ClothesType}")));
        WriteList(root, "Anno/list_category_img.txt", "image_name category_label",
            views.Select(v => Invariant($"{Pad(v.ImageName, width)}{v.Item.CategoryLabel}")));
        WriteList(root, "Anno/list_attr_cloth.txt", "attribute_name attribute_type",
            GarmentCatalog.Attributes.Select(a => Invariant($"{a.Name,-28}{a.Type}")));
        // This benchmark's image labels are 1 / -1 only: a sleeve length that does not apply is negative here.
        WriteList(root, "Anno/list_attr_img.txt", "image_name attribute_labels",
            views.Select(v => $"{Pad(v.ImageName, width)}{string.Join(' ', v.Item.Attributes.Select(a => LabelText(a == 0 ? (sbyte)-1 : a)))}"));
        WriteList(root, "Anno/list_bbox.txt", "image_name x_1 y_1 x_2 y_2", views.Select(v => $"{Pad(v.ImageName, width)}{BoxColumns(v)}"));
        WriteList(root, "Anno/list_landmarks.txt", LandmarkHeader, views.Select(v => LandmarkRow(v, width)));
        WriteList(root, "Eval/list_eval_partition.txt", "image_name evaluation_status", views.Select(v => $"{Pad(v.ImageName, width)}{v.Item.Split}"));
    }

    private static void WriteLandmarkDetection(SyntheticDataset dataset, string root)
    {
        IReadOnlyList<SyntheticView> views = dataset.Views;
        int width = NameWidth(views);
        WriteList(root, "Anno/list_landmarks.txt", LandmarkHeader, views.Select(v => LandmarkRow(v, width)));
        WriteList(root, "Anno/list_bbox.txt", "image_name x_1 y_1 x_2 y_2", views.Select(v => $"{Pad(v.ImageName, width)}{BoxColumns(v)}"));
        WriteList(root, "Eval/list_eval_partition.txt", "image_name evaluation_status", views.Select(v => $"{Pad(v.ImageName, width)}{v.Item.Split}"));
    }

    private static string LandmarkRow(SyntheticView view, int width)
    {
        var row = new StringBuilder(Pad(view.ImageName, width));
        row.Append(Invariant($"{(int)view.Item.Category.ClothesType}  {view.VariationType}"));
        foreach (LandmarkSlot slot in LandmarkLayout.SlotsOf(view.Item.Category.ClothesType))
        {
            Landmark landmark = view.Landmarks[slot];
            row.Append(Invariant($"  {(int)landmark.Visibility} {(int)landmark.X} {(int)landmark.Y}"));
        }

        return row.ToString();
    }

    private static string BoxColumns(SyntheticView view) =>
        Invariant($"{(int)view.Box.X1} {(int)view.Box.Y1} {(int)view.Box.X2} {(int)view.Box.Y2}");

    private static string LabelText(sbyte label) => label switch { 1 => " 1", -1 => "-1", _ => " 0" };

    // DeepFashion pads the name column with runs of spaces; so do we, so readers are exercised on the real layout.
    private static int NameWidth(IReadOnlyList<SyntheticView> views) => views.Max(v => v.ImageName.Length) + 2;

    private static string Pad(string name, int width) => name.PadRight(width);

    private static void WriteList(string root, string relativePath, string header, IEnumerable<string> rows)
    {
        List<string> lines = [.. rows];
        WriteFile(root, relativePath, [lines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), header, .. lines]);
    }

    private static void WriteFile(string root, string relativePath, IEnumerable<string> lines)
    {
        string path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        foreach (string line in lines) writer.WriteLine(line);
    }
}
