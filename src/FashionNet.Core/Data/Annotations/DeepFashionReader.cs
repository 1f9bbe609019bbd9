namespace FashionNet.Data.Annotations;

/// <summary>
/// Reads a DeepFashion benchmark from its official list files into a <see cref="FashionDataset"/>. Strict by default:
/// the first problem (count line disagreeing with the rows, wrong column count, bad number, unknown status or clothes
/// type, landmark count not fitting the clothes type, duplicate image, missing image file...) throws a
/// <see cref="DeepFashionFormatException"/> naming file and line. With <see cref="ReaderOptions.Lenient"/> bad rows are
/// skipped and every skip is listed in <see cref="FashionDataset.Report"/>.
/// </summary>
public static class DeepFashionReader
{
    private static readonly EvaluationSplit[] InShopSplits = [EvaluationSplit.Train, EvaluationSplit.Query, EvaluationSplit.Gallery];
    private static readonly EvaluationSplit[] TrainValTest = [EvaluationSplit.Train, EvaluationSplit.Validation, EvaluationSplit.Test];

    /// <summary>Reads the benchmark whose files lie under <paramref name="root"/>.</summary>
    /// <param name="root">Dataset folder holding <c>Eval/</c>, <c>Anno/</c> and the images the list files name.</param>
    /// <param name="format">Which benchmark's files to read.</param>
    /// <param name="options">Strict or lenient, and whether to check image files; <see cref="ReaderOptions.Strict"/> when null.</param>
    /// <exception cref="DirectoryNotFoundException">The root folder does not exist.</exception>
    /// <exception cref="DeepFashionFormatException">A file is missing, unreadable or (in strict mode) has a bad row.</exception>
    public static FashionDataset Read(string root, DeepFashionFormat format, ReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot)) throw new DirectoryNotFoundException($"Dataset root '{fullRoot}' not found.");
        options ??= ReaderOptions.Strict;
        if (options.InShopCategoriesFromPath && format != DeepFashionFormat.InShop)
            throw new ArgumentException($"{nameof(ReaderOptions.InShopCategoriesFromPath)} reads In-shop image paths; the {format} format has none.", nameof(options));
        var builder = new DatasetBuilder(format, fullRoot, new ReadContext(options));
        switch (format)
        {
            case DeepFashionFormat.InShop: ReadInShop(builder); break;
            case DeepFashionFormat.ConsumerToShop: ReadConsumerToShop(builder); break;
            case DeepFashionFormat.CategoryAttribute: ReadCategoryAttribute(builder); break;
            case DeepFashionFormat.Landmarks: ReadLandmarkDetection(builder); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown DeepFashion format.");
        }
        return builder.Build();
    }

    private static void ReadInShop(DatasetBuilder builder)
    {
        if (Optional(builder, "Anno/list_item_inshop.txt") is { } itemList) AnnotationFiles.ReadItemList(builder, itemList);
        string partition = Required(builder, "Eval/list_eval_partition.txt");
        bool categoriesFromPath = builder.Context.Options.InShopCategoriesFromPath;
        if (categoriesFromPath) builder.Categories.AddRange(InShopCategories.All);
        using (var file = ListFile.Open(partition, "image_name"))
        {
            file.ReadRows(builder.Context, row =>
            {
                row.ExpectColumns(3, "image_name item_id evaluation_status");
                string image = row.NextString("image_name");
                string itemId = row.NextString("item_id");
                var split = AnnotationFiles.ReadSplit(ref row, InShopSplits);
                builder.CheckItem(row, itemId);
                int? category = categoriesFromPath ? InShopCategories.LabelOf(row, image) : null;
                var draft = builder.Add(row, image, partition);
                draft.ItemIndex = builder.ItemIndexFor(itemId);
                draft.Split = split;
                draft.CategoryLabel = category;
            });
        }
        if (Optional(builder, "Anno/list_bbox_inshop.txt") is { } boxes)
            AnnotationFiles.ReadBoxes(builder, boxes, BoxLayout.WithPoseType, partition);
        if (Optional(builder, "Anno/list_landmarks_inshop.txt") is { } landmarks)
            AnnotationFiles.ReadLandmarks(builder, landmarks, declaresImages: false, partition);
        ReadItemAttributeFiles(builder, typedNames: false);
        // After the box and landmark files: a clothes type they give is kept, the category's only fills the gaps.
        if (categoriesFromPath)
        {
            foreach (var draft in builder.Samples)
                draft.ClothesType ??= InShopCategories.All[draft.CategoryLabel!.Value - 1].Type;
        }
    }

    private static void ReadConsumerToShop(DatasetBuilder builder)
    {
        if (Optional(builder, "Anno/list_item_consumer2shop.txt", "Anno/list_items_consumer2shop.txt") is { } itemList)
            AnnotationFiles.ReadItemList(builder, itemList);
        string partition = Required(builder, "Eval/list_eval_partition.txt");
        var pairLines = new Dictionary<(SampleDraft, SampleDraft), int>();
        using (var file = ListFile.Open(partition, "image_pair_name_1"))
        {
            file.ReadRows(builder.Context, row =>
            {
                row.ExpectColumns(4, "image_pair_name_1 image_pair_name_2 item_id evaluation_status");
                string consumerImage = row.NextString("image_pair_name_1");
                string shopImage = row.NextString("image_pair_name_2");
                string itemId = row.NextString("item_id");
                var split = AnnotationFiles.ReadSplit(ref row, TrainValTest);
                if (consumerImage == shopImage) throw row.Error($"image '{consumerImage}' is paired with itself");

                // Check the item and both images before adding anything, so a skipped row leaves nothing behind.
                builder.CheckItem(row, itemId);
                var consumer = builder.TryFind(consumerImage);
                var shop = builder.TryFind(shopImage);
                CheckPairImage(row, consumer, consumerImage, ImageSource.Consumer, itemId, split, builder);
                CheckPairImage(row, shop, shopImage, ImageSource.Shop, itemId, split, builder);
                if (consumer is not null && shop is not null && pairLines.TryGetValue((consumer, shop), out int firstLine))
                    throw row.Error($"duplicate pair '{consumerImage}' / '{shopImage}' (first on line {firstLine})");

                int item = builder.ItemIndexFor(itemId);
                consumer ??= NewPairImage(builder, row, consumerImage, partition, ImageSource.Consumer, item, split);
                shop ??= NewPairImage(builder, row, shopImage, partition, ImageSource.Shop, item, split);
                pairLines.Add((consumer, shop), row.Line);
                builder.Pairs.Add((consumer, shop, item, split));
            });
        }
        if (Optional(builder, "Anno/list_bbox_consumer2shop.txt") is { } boxes)
            AnnotationFiles.ReadBoxes(builder, boxes, BoxLayout.WithSourceType, partition);
        if (Optional(builder, "Anno/list_landmarks_consumer2shop.txt") is { } landmarks)
            AnnotationFiles.ReadLandmarks(builder, landmarks, declaresImages: false, partition);
        ReadItemAttributeFiles(builder, typedNames: true);
    }

    private static void CheckPairImage(in ListRow row, SampleDraft? existing, string image, ImageSource role, string itemId, EvaluationSplit split, DatasetBuilder builder)
    {
        if (existing is null)
        {
            DatasetBuilder.CheckRelative(row, image);
            return;
        }
        if (existing.Source != role)
            throw row.Error($"image '{image}' is a {Role(existing.Source)} image on line {existing.Line} and a {Role(role)} image here");
        string existingItem = builder.Items[existing.ItemIndex!.Value];
        if (existingItem != itemId)
            throw row.Error($"image '{image}' belongs to item '{existingItem}' on line {existing.Line} and to item '{itemId}' here");
        if (existing.Split != split)
            throw row.Error($"image '{image}' is in split '{existing.Split!.Value.ToFileToken()}' on line {existing.Line} and in '{split.ToFileToken()}' here");
    }

    private static string Role(ImageSource? source) => source == ImageSource.Consumer ? "consumer" : "shop";

    private static SampleDraft NewPairImage(DatasetBuilder builder, in ListRow row, string image, string file, ImageSource role, int item, EvaluationSplit split)
    {
        var draft = builder.Add(row, image, file);
        draft.Source = role;
        draft.ItemIndex = item;
        draft.Split = split;
        return draft;
    }

    /// <summary>In-shop's <c>list_attr_cloth.txt</c> has names only; Consumer-to-shop's ends each row with the attribute type.</summary>
    private static void ReadItemAttributeFiles(DatasetBuilder builder, bool typedNames)
    {
        if (Optional(builder, "Anno/list_attr_cloth.txt") is { } names) AnnotationFiles.ReadAttributeNames(builder, names, typedNames);
        if (Optional(builder, "Anno/list_attr_items.txt") is { } values) AnnotationFiles.ReadItemAttributes(builder, values);
    }

    private static void ReadCategoryAttribute(DatasetBuilder builder)
    {
        string partition = Required(builder, "Eval/list_eval_partition.txt");
        AnnotationFiles.ReadImageSplits(builder, partition, TrainValTest, declaresImages: true, partition);
        if (Optional(builder, "Anno/list_category_cloth.txt") is { } categoryNames) AnnotationFiles.ReadCategoryNames(builder, categoryNames);
        if (Optional(builder, "Anno/list_category_img.txt") is { } categories) AnnotationFiles.ReadCategoryLabels(builder, categories, partition);
        if (Optional(builder, "Anno/list_attr_cloth.txt") is { } attributeNames) AnnotationFiles.ReadAttributeNames(builder, attributeNames, typed: true);
        if (Optional(builder, "Anno/list_attr_img.txt") is { } attributes) AnnotationFiles.ReadImageAttributes(builder, attributes, partition);
        if (Optional(builder, "Anno/list_bbox.txt") is { } boxes) AnnotationFiles.ReadBoxes(builder, boxes, BoxLayout.Plain, partition);
        if (Optional(builder, "Anno/list_landmarks.txt") is { } landmarks)
            AnnotationFiles.ReadLandmarks(builder, landmarks, declaresImages: false, partition);
    }

    private static void ReadLandmarkDetection(DatasetBuilder builder)
    {
        string landmarks = Required(builder, "Anno/list_landmarks.txt", "list_landmarks.txt");
        AnnotationFiles.ReadLandmarks(builder, landmarks, declaresImages: true, landmarks);
        if (Optional(builder, "Anno/list_bbox.txt", "list_bbox.txt") is { } boxes)
            AnnotationFiles.ReadBoxes(builder, boxes, BoxLayout.Plain, landmarks);
        if (Optional(builder, "Anno/list_category_cloth.txt", "list_category_cloth.txt") is { } categoryNames)
            AnnotationFiles.ReadCategoryNames(builder, categoryNames);
        if (Optional(builder, "Anno/list_category_img.txt", "list_category_img.txt") is { } categories)
            AnnotationFiles.ReadCategoryLabels(builder, categories, landmarks);
        if (Optional(builder, "Eval/list_eval_partition.txt", "list_eval_partition.txt") is { } partition)
            AnnotationFiles.ReadImageSplits(builder, partition, TrainValTest, declaresImages: false, landmarks);
    }

    /// <summary>The first of the candidate paths (relative to the root) that exists, or null.</summary>
    private static string? Optional(DatasetBuilder builder, params string[] candidates) =>
        candidates.Select(c => Path.Combine(builder.Root, c)).FirstOrDefault(File.Exists);

    private static string Required(DatasetBuilder builder, params string[] candidates) =>
        Optional(builder, candidates) ?? throw new DeepFashionFormatException(Path.Combine(builder.Root, candidates[0]),
            0, candidates.Length == 1 ? "required file not found" : $"required file not found (also looked for {string.Join(", ", candidates.Skip(1))})");
}
