namespace FashionNet.Tests.Data.Annotations;

/// <summary>Small valid datasets in the official formats; tests break one line at a time. Data rows start on line 3.</summary>
internal static class Fixtures
{
    public const string CategoryPartition = "Eval/list_eval_partition.txt";
    public const string CategoryLandmarks = "Anno/list_landmarks.txt";
    public const string CategoryBoxes = "Anno/list_bbox.txt";
    public const string CategoryNames = "Anno/list_category_cloth.txt";
    public const string CategoryLabels = "Anno/list_category_img.txt";
    public const string AttributeNames = "Anno/list_attr_cloth.txt";
    public const string ImageAttributes = "Anno/list_attr_img.txt";

    public static readonly string[] CategoryImages = ["img/Blouse/img_1.jpg", "img/Jeans/img_2.jpg", "img/Dress/img_3.jpg"];

    /// <summary>Category and Attribute: an upper-body (6 landmarks), a lower-body (4) and a full-body (8) image, space-padded like the official files.</summary>
    public static void WriteCategoryAttribute(DatasetFolder folder)
    {
        folder.Images(CategoryImages);
        folder.WriteList(CategoryPartition, "image_name  evaluation_status",
            ["img/Blouse/img_1.jpg   train", "img/Jeans/img_2.jpg  val", "img/Dress/img_3.jpg test"]);
        folder.WriteList(CategoryNames, "category_name  category_type", ["Blouse                 1", "Jeans  2", "Dress  3"]);
        folder.WriteList(CategoryLabels, "image_name  category_label", ["img/Blouse/img_1.jpg  1", "img/Jeans/img_2.jpg  2", "img/Dress/img_3.jpg  3"]);
        folder.WriteList(AttributeNames, "attribute_name  attribute_type",
            ["a-line                       3", "floral print   1", "peter pan collar  4", "zip\t4"]);
        folder.WriteList(ImageAttributes, "image_name  attribute_labels",
            ["img/Blouse/img_1.jpg  1 -1  0  1", "img/Jeans/img_2.jpg -1 -1 -1 -1", "img/Dress/img_3.jpg  0  1  0 -1"]);
        folder.WriteList(CategoryBoxes, "image_name  x_1  y_1  x_2  y_2",
            ["img/Blouse/img_1.jpg  5  6 100 120", "img/Jeans/img_2.jpg 7 8 90 200", "img/Dress/img_3.jpg 1 2 250 300"]);
        folder.WriteList(CategoryLandmarks,
            "image_name  clothes_type  variation_type  landmark_visibility_1  landmark_location_x_1  landmark_location_y_1 ...",
            [
                "img/Blouse/img_1.jpg  1  1  0 10 11  1 20 21  2 30 31  0 40 41  0 50 51  1 60 61",
                "img/Jeans/img_2.jpg  2  2  0 110 111  0 120 121  1 130 131  2 140 141",
                "img/Dress/img_3.jpg 3 4 " + string.Join(" ", Enumerable.Range(0, 8).Select(k => $"0 {200 + 10 * k} {201 + 10 * k}")),
            ]);
    }

    public const string InShopPartition = "Eval/list_eval_partition.txt";
    public const string InShopItems = "Anno/list_item_inshop.txt";
    public const string InShopBoxes = "Anno/list_bbox_inshop.txt";
    public const string InShopLandmarks = "Anno/list_landmarks_inshop.txt";
    public const string ItemAttributes = "Anno/list_attr_items.txt";

    public static readonly string[] InShopImages =
    [
        "img/WOMEN/Dresses/id_00000002/02_1_front.jpg", "img/WOMEN/Dresses/id_00000002/02_2_side.jpg",
        "img/MEN/Denim/id_00000007/01_1_front.jpg", "img/MEN/Denim/id_00000007/01_2_side.jpg",
    ];

    /// <summary>In-shop: one training item (full body) and one test item (lower body, a query and a gallery image).</summary>
    public static void WriteInShop(DatasetFolder folder)
    {
        folder.Images(InShopImages);
        folder.Write(InShopItems, "3\nid_00000002 id_00000007\nid_00000009\n");
        folder.WriteList(InShopPartition, "image_name item_id evaluation_status",
        [
            $"{InShopImages[0]} id_00000002 train", $"{InShopImages[1]} id_00000002 train",
            $"{InShopImages[2]} id_00000007 query", $"{InShopImages[3]} id_00000007 gallery",
        ]);
        folder.WriteList(InShopBoxes, "image_name clothes_type pose_type x_1 y_1 x_2 y_2",
        [
            $"{InShopImages[0]} 3 1 10 20 200 250", $"{InShopImages[1]} 3 2 11 21 201 251",
            $"{InShopImages[2]} 2 1 30 40 180 256", $"{InShopImages[3]} 2 4 31 41 181 255",
        ]);
        string full = string.Join(" ", Enumerable.Range(0, 8).Select(k => $"0 {50 + k} {60 + k}"));
        folder.WriteList(InShopLandmarks, "image_name clothes_type variation_type landmark_visibility_1 ...",
        [
            $"{InShopImages[0]} 3 1 {full}", $"{InShopImages[1]} 3 1 {full}",
            $"{InShopImages[2]} 2 1 0 1 2 0 3 4 0 5 6 0 7 8", $"{InShopImages[3]} 2 1 0 1 2 1 3 4 2 5 6 0 7 8",
        ]);
        folder.WriteList(AttributeNames, "attribute_name", ["floral print", "sleeveless", "v neck"]);
        folder.WriteList(ItemAttributes, "item_id attribute_labels", ["id_00000002 1 -1 0", "id_00000007 -1 0 1"]);
    }

    public const string PairPartition = "Eval/list_eval_partition.txt";
    public const string PairBoxes = "Anno/list_bbox_consumer2shop.txt";

    /// <summary>Consumer-to-shop: item 1 (train) has two consumer photos of one shop image; item 2 (test) one pair.</summary>
    public static void WriteConsumerToShop(DatasetFolder folder)
    {
        folder.Images(["img/CLOTHING/Dress/id_00000001/comsumer_01.jpg", "img/CLOTHING/Dress/id_00000001/comsumer_02.jpg",
            "img/CLOTHING/Dress/id_00000001/shop_01.jpg", "img/TOPS/Tee/id_00000002/comsumer_01.jpg", "img/TOPS/Tee/id_00000002/shop_01.jpg"]);
        folder.WriteList(PairPartition, "image_pair_name_1 image_pair_name_2 item_id evaluation_status",
        [
            "img/CLOTHING/Dress/id_00000001/comsumer_01.jpg img/CLOTHING/Dress/id_00000001/shop_01.jpg id_00000001 train",
            "img/CLOTHING/Dress/id_00000001/comsumer_02.jpg img/CLOTHING/Dress/id_00000001/shop_01.jpg id_00000001 train",
            "img/TOPS/Tee/id_00000002/comsumer_01.jpg img/TOPS/Tee/id_00000002/shop_01.jpg id_00000002 test",
        ]);
        folder.WriteList(PairBoxes, "image_name clothes_type source_type x_1 y_1 x_2 y_2",
        [
            "img/CLOTHING/Dress/id_00000001/comsumer_01.jpg 3 2 1 2 100 200",
            "img/CLOTHING/Dress/id_00000001/shop_01.jpg 3 1 3 4 150 250",
            "img/TOPS/Tee/id_00000002/shop_01.jpg 1 1 5 6 120 130",
        ]);
        folder.WriteList(AttributeNames, "attribute_name attribute_type", ["碎花 floral print  1", "无袖 sleeveless 3"]);
        folder.WriteList(ItemAttributes, "item_id attribute_labels", ["id_00000001 1 0", "id_00000002 -1 1"]);
    }
}
