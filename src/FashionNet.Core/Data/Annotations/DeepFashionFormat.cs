namespace FashionNet.Data.Annotations;

/// <summary>The four DeepFashion benchmarks whose official list files <see cref="DeepFashionReader"/> reads.</summary>
public enum DeepFashionFormat
{
    /// <summary>In-shop Clothes Retrieval: <c>Eval/list_eval_partition.txt</c> (<c>image_name item_id evaluation_status</c>) plus optional <c>Anno/</c> files.</summary>
    InShop,

    /// <summary>Consumer-to-shop Clothes Retrieval: <c>Eval/list_eval_partition.txt</c> with consumer/shop image pairs plus optional <c>Anno/</c> files.</summary>
    ConsumerToShop,

    /// <summary>Category and Attribute Prediction: <c>Eval/list_eval_partition.txt</c> plus categories, attributes, boxes and landmarks in <c>Anno/</c>.</summary>
    CategoryAttribute,

    /// <summary>Fashion Landmark Detection: <c>list_landmarks.txt</c> (in <c>Anno/</c> or the root) plus optional boxes, categories and partition.</summary>
    Landmarks,
}

/// <summary>Evaluation split of an image, as named by the <c>evaluation_status</c> column.</summary>
public enum EvaluationSplit
{
    /// <summary><c>train</c>.</summary>
    Train,

    /// <summary><c>val</c> (Consumer-to-shop, Category and Attribute, Landmark Detection).</summary>
    Validation,

    /// <summary><c>test</c> (Consumer-to-shop, Category and Attribute, Landmark Detection).</summary>
    Test,

    /// <summary><c>query</c> (In-shop).</summary>
    Query,

    /// <summary><c>gallery</c> (In-shop).</summary>
    Gallery,
}

/// <summary>Where a Consumer-to-shop image comes from; the values are the file's <c>source_type</c> codes.</summary>
public enum ImageSource
{
    /// <summary>A shop (catalogue) image, <c>source_type</c> 1; the second image of a pair.</summary>
    Shop = 1,

    /// <summary>A consumer photo, <c>source_type</c> 2; the first image of a pair.</summary>
    Consumer = 2,
}

/// <summary>The official token of each <see cref="EvaluationSplit"/>.</summary>
public static class EvaluationSplitNames
{
    /// <summary>The token the list files use: <c>train</c>, <c>val</c>, <c>test</c>, <c>query</c> or <c>gallery</c>.</summary>
    public static string ToFileToken(this EvaluationSplit split) => split switch
    {
        EvaluationSplit.Train => "train",
        EvaluationSplit.Validation => "val",
        EvaluationSplit.Test => "test",
        EvaluationSplit.Query => "query",
        EvaluationSplit.Gallery => "gallery",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown evaluation split."),
    };
}
