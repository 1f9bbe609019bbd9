using System.Text;

namespace FashionNet.Data.Annotations;

/// <summary>Column layout of a bounding-box file.</summary>
internal enum BoxLayout
{
    /// <summary><c>image_name x_1 y_1 x_2 y_2</c> (Category and Attribute, Landmark Detection).</summary>
    Plain,

    /// <summary><c>image_name clothes_type pose_type x_1 y_1 x_2 y_2</c> (In-shop).</summary>
    WithPoseType,

    /// <summary><c>image_name clothes_type source_type x_1 y_1 x_2 y_2</c> (Consumer-to-shop).</summary>
    WithSourceType,
}

/// <summary>Readers of the list files the benchmarks share; each fills a <see cref="DatasetBuilder"/>.</summary>
internal static class AnnotationFiles
{
    private static readonly byte[][] SplitTokens = [.. Enum.GetValues<EvaluationSplit>().Select(s => Encoding.ASCII.GetBytes(s.ToFileToken()))];

    public static ClothesType ReadClothesType(ref ListRow row)
    {
        int code = row.NextInt("clothes_type");
        return code is >= 1 and <= 3
            ? (ClothesType)code
            : throw row.Error($"unknown clothes type {code} (expected 1 upper-body, 2 lower-body or 3 full-body)");
    }

    public static EvaluationSplit ReadSplit(ref ListRow row, IReadOnlyList<EvaluationSplit> allowed)
    {
        var token = row.NextToken("evaluation_status");
        foreach (var split in allowed)
            if (token.SequenceEqual(SplitTokens[(int)split])) return split;
        throw row.Error($"unknown evaluation status {ListFile.Show(token)} (expected {string.Join(", ", allowed.Select(s => s.ToFileToken()))})");
    }

    /// <summary>
    /// <c>image_name evaluation_status</c> rows. When <paramref name="declaresImages"/> the file lists the images
    /// (Category and Attribute); otherwise its images must already be known (Landmark Detection).
    /// </summary>
    public static void ReadImageSplits(DatasetBuilder builder, string path, IReadOnlyList<EvaluationSplit> allowed, bool declaresImages, string declaringFile)
    {
        using var file = ListFile.Open(path, "image_name");
        var seen = new Dictionary<SampleDraft, int>(ReferenceEqualityComparer.Instance);
        file.ReadRows(builder.Context, row =>
        {
            row.ExpectColumns(2, "image_name evaluation_status");
            var image = row.NextText("image_name");
            var split = ReadSplit(ref row, allowed);
            var draft = declaresImages ? builder.Add(row, Encoding.UTF8.GetString(image), path) : FindOnce(builder, row, image, declaringFile, seen);
            draft.Split = split;
        });
    }

    public static void ReadBoxes(DatasetBuilder builder, string path, BoxLayout layout, string declaringFile)
    {
        using var file = ListFile.Open(path, "image_name");
        var seen = new Dictionary<SampleDraft, int>(ReferenceEqualityComparer.Instance);
        file.ReadRows(builder.Context, row =>
        {
            switch (layout)
            {
                case BoxLayout.Plain: row.ExpectColumns(5, "image_name x_1 y_1 x_2 y_2"); break;
                case BoxLayout.WithPoseType: row.ExpectColumns(7, "image_name clothes_type pose_type x_1 y_1 x_2 y_2"); break;
                default: row.ExpectColumns(7, "image_name clothes_type source_type x_1 y_1 x_2 y_2"); break;
            }
            var image = row.NextText("image_name");
            ClothesType? clothesType = layout == BoxLayout.Plain ? null : ReadClothesType(ref row);
            int? poseType = layout == BoxLayout.WithPoseType ? row.NextInt("pose_type") : null;
            ImageSource? source = layout == BoxLayout.WithSourceType ? ReadSource(ref row) : null;
            var box = new BoundingBox(row.NextFloat("x_1"), row.NextFloat("y_1"), row.NextFloat("x_2"), row.NextFloat("y_2"));
            if (!(box.X2 > box.X1 && box.Y2 > box.Y1))
                throw row.Error($"empty or inverted bounding box ({box.X1} {box.Y1} {box.X2} {box.Y2}): needs x_1 < x_2 and y_1 < y_2");

            var draft = FindOnce(builder, row, image, declaringFile, seen);
            if (source is { } s && draft.Source is { } declared && s != declared)
                throw row.Error($"source_type {(int)s} ({s}) disagrees with the partition, where '{draft.ImagePath}' is a {declared.ToString().ToLowerInvariant()} image");
            if (clothesType is { } type) DatasetBuilder.SetClothesType(row, draft, type, path);
            draft.PoseType = poseType ?? draft.PoseType;
            draft.Source ??= source;
            draft.Box = box;
        });
    }

    /// <summary>
    /// <c>image_name clothes_type variation_type</c> then one <c>visibility x y</c> triple per landmark, as many as the
    /// clothes type has (6 upper, 4 lower, 8 full body), each put into its own slot.
    /// </summary>
    public static void ReadLandmarks(DatasetBuilder builder, string path, bool declaresImages, string declaringFile)
    {
        using var file = ListFile.Open(path, "image_name");
        var seen = new Dictionary<SampleDraft, int>(ReferenceEqualityComparer.Instance);
        file.ReadRows(builder.Context, row =>
        {
            int values = row.ColumnCount - 3;
            var image = row.NextText("image_name");
            var clothesType = ReadClothesType(ref row);
            int variationType = row.NextInt("variation_type");
            int expected = LandmarkLayout.SlotsOf(clothesType).Count;
            if (values != expected * 3)
                throw row.Error($"clothes type {(int)clothesType} ({clothesType}) has {expected} landmarks ({expected * 3} values " +
                                $"after variation_type), the row has {Math.Max(values, 0)} values");
            Span<Landmark> landmarks = stackalloc Landmark[expected];
            for (int i = 0; i < expected; i++)
            {
                int code = row.NextInt($"landmark_visibility_{i + 1}");
                if (code is < 0 or > 2)
                    throw row.Error($"landmark {i + 1}: unknown visibility {code} (expected 0 visible, 1 occluded or 2 truncated)");
                landmarks[i] = new Landmark(row.NextFloat($"landmark_location_x_{i + 1}"), row.NextFloat($"landmark_location_y_{i + 1}"), (LandmarkVisibility)code);
            }
            var landmarkSet = LandmarkSet.FromFileOrder(clothesType, landmarks);

            var draft = declaresImages ? builder.Add(row, Encoding.UTF8.GetString(image), path) : FindOnce(builder, row, image, declaringFile, seen);
            DatasetBuilder.SetClothesType(row, draft, clothesType, path);
            draft.VariationType = variationType;
            draft.Landmarks = landmarkSet;
        });
    }

    /// <summary><c>category_name category_type</c> rows; the type (1 upper, 2 lower, 3 full body) is the last token.</summary>
    public static void ReadCategoryNames(DatasetBuilder builder, string path)
    {
        using var file = ListFile.Open(path, "category_name");
        file.ReadRows(builder.Context, row =>
        {
            var (name, type) = ReadNameAndType(row, "category_name", "category_type");
            if (type is < 1 or > 3) throw row.Error($"unknown category_type {type} (expected 1 upper-body, 2 lower-body or 3 full-body)");
            builder.Categories.Add(new CategoryInfo(name, (ClothesType)type));
        });
    }

    /// <summary>
    /// <c>attribute_name attribute_type</c> rows, names possibly with spaces, so the type is the last token
    /// (Category and Attribute, Consumer-to-shop); or, when not <paramref name="typed"/>, the whole row is the name (In-shop).
    /// </summary>
    public static void ReadAttributeNames(DatasetBuilder builder, string path, bool typed)
    {
        using var file = ListFile.Open(path, "attribute_name");
        file.ReadRows(builder.Context, row =>
        {
            if (!typed)
            {
                builder.Attributes.Add(new AttributeInfo(Encoding.UTF8.GetString(row.Text.Trim(" \t"u8)), null));
                return;
            }
            var (name, type) = ReadNameAndType(row, "attribute_name", "attribute_type");
            if (type < 1) throw row.Error($"attribute_type {type} is not a positive type code");
            builder.Attributes.Add(new AttributeInfo(name, type));
        });
    }

    /// <summary><c>image_name category_label</c> rows; labels are 1-based and, when the names are known, at most their count.</summary>
    public static void ReadCategoryLabels(DatasetBuilder builder, string path, string declaringFile)
    {
        using var file = ListFile.Open(path, "image_name");
        var seen = new Dictionary<SampleDraft, int>(ReferenceEqualityComparer.Instance);
        int categoryCount = builder.Categories.Count;
        file.ReadRows(builder.Context, row =>
        {
            row.ExpectColumns(2, "image_name category_label");
            var image = row.NextText("image_name");
            int label = row.NextInt("category_label");
            if (label < 1 || (categoryCount > 0 && label > categoryCount))
                throw row.Error(categoryCount > 0
                    ? $"category label {label} out of range 1..{categoryCount} (labels are 1-based)"
                    : $"category label {label} out of range (labels are 1-based)");
            FindOnce(builder, row, image, declaringFile, seen).CategoryLabel = label;
        });
    }

    /// <summary><c>image_name</c> then one label per attribute (1, -1, or 0 unknown), one row per image (Category and Attribute).</summary>
    public static void ReadImageAttributes(DatasetBuilder builder, string path, string declaringFile)
    {
        using var file = ListFile.Open(path, "image_name");
        var seen = new Dictionary<SampleDraft, int>(ReferenceEqualityComparer.Instance);
        file.ReadRows(builder.Context, row =>
        {
            var image = row.NextText("image_name");
            var draft = FindOnce(builder, row, image, declaringFile, seen);
            draft.AttributeRow = ReadAttributeRow(builder, file, ref row);
        });
    }

    /// <summary><c>item_id</c> then one label per attribute (1, -1, or 0 unknown), one row per item (In-shop, Consumer-to-shop).</summary>
    public static void ReadItemAttributes(DatasetBuilder builder, string path)
    {
        using var file = ListFile.Open(path, "item_id");
        var seen = new Dictionary<int, int>();
        file.ReadRows(builder.Context, row =>
        {
            string itemId = row.NextString("item_id");
            int item = builder.KnownItem(row, itemId);
            if (!seen.TryAdd(item, row.Line)) throw row.Error($"duplicate row for item '{itemId}' (first on line {seen[item]})");
            builder.ItemAttributeRows[item] = ReadAttributeRow(builder, file, ref row);
        });
    }

    /// <summary>Line 1 the item count, then item ids separated by spaces or line breaks (an <c>item_id</c> header is allowed).</summary>
    public static void ReadItemList(DatasetBuilder builder, string path)
    {
        using var file = ListFile.Open(path, headerFirstColumn: null);
        var items = new List<string>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        bool first = true;
        while (file.TryReadRow(out var row))
        {
            while (row.TryNextToken(out var token))
            {
                if (first && token.SequenceEqual("item_id"u8))
                {
                    first = false;
                    continue;
                }
                first = false;
                string item = Encoding.UTF8.GetString(token);
                if (!firstLine.TryAdd(item, row.Line))
                {
                    builder.Context.Fail(row.Error($"duplicate item '{item}' (first on line {firstLine[item]})"), "duplicate ignored");
                    continue;
                }
                items.Add(item);
            }
        }
        if (items.Count != file.DeclaredCount)
            builder.Context.Fail(file.Error(1, $"line 1 declares {file.DeclaredCount} items but the file lists {items.Count}"), "the items listed are used");
        builder.FixItems(items);
    }

    private static int ReadAttributeRow(DatasetBuilder builder, ListFile file, ref ListRow row)
    {
        if (builder.AttributeMatrix is null)
        {
            int columns = builder.Attributes.Count > 0 ? builder.Attributes.Count : row.ColumnCount - 1;
            if (columns < 1) throw row.Error("no attribute values");
            // Trust the count line for capacity only as far as the file is long enough to hold that many rows.
            long rowsTheFileCanHold = file.Length / (2L * columns) + 1;
            builder.AttributeMatrix = new AttributeMatrix(columns, (int)Math.Min(file.DeclaredCount, rowsTheFileCanHold));
        }
        var matrix = builder.AttributeMatrix;
        matrix.BeginRow(out var known, out var positive);
        row.ReadAttributeValues(matrix.ColumnCount, known, positive);
        return matrix.CommitRow();
    }

    private static ImageSource ReadSource(ref ListRow row)
    {
        int code = row.NextInt("source_type");
        return code is 1 or 2 ? (ImageSource)code : throw row.Error($"unknown source_type {code} (expected 1 shop or 2 consumer)");
    }

    private static SampleDraft FindOnce(DatasetBuilder builder, in ListRow row, ReadOnlySpan<byte> image, string declaringFile, Dictionary<SampleDraft, int> seen)
    {
        var draft = builder.Find(row, image, declaringFile);
        if (!seen.TryAdd(draft, row.Line)) throw row.Error($"duplicate row for image '{draft.ImagePath}' (first on line {seen[draft]})");
        return draft;
    }

    private static (string Name, int Type) ReadNameAndType(ListRow row, string nameColumn, string typeColumn)
    {
        var text = row.Text.TrimEnd(" \t"u8);
        int lastSeparator = text.LastIndexOfAny((byte)' ', (byte)'\t');
        var name = lastSeparator < 0 ? default : text[..lastSeparator].Trim(" \t"u8);
        if (name.IsEmpty) throw row.Error($"expected '{nameColumn} {typeColumn}', found {ListFile.Show(row.Text)}");
        var typeToken = text[(lastSeparator + 1)..];
        if (!System.Buffers.Text.Utf8Parser.TryParse(typeToken, out int type, out int consumed) || consumed != typeToken.Length)
            throw row.Error($"column '{typeColumn}': {ListFile.Show(typeToken)} is not an integer");
        if (!System.Text.Unicode.Utf8.IsValid(name)) throw row.Error($"column '{nameColumn}' is not valid UTF-8 text");
        return (Encoding.UTF8.GetString(name), type);
    }
}
