using System.Text.Json;
using System.Text.Json.Serialization;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Model.Backbones;
using FashionNet.Model.Pretrained;

namespace FashionNet.Model;

/// <summary>How the backbone starts.</summary>
public enum BackboneInitialization
{
    /// <summary>Random initialization (torchvision layout).</summary>
    Random,

    /// <summary>
    /// ImageNet weights imported from ML.NET's ResNet18 ONNX (ResNet18 only; its CNTK layout has three blocks in layer4),
    /// with the matching input normalization (BGR minus the mean image).
    /// </summary>
    ImageNet,
}

/// <summary>
/// Everything that fixes a FashionNet architecture and its input: stored in every checkpoint (as its model
/// fingerprint), so a checkpoint alone is enough to rebuild the model that reads it.
/// </summary>
public sealed record ModelRecipe
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The backbone.</summary>
    public BackboneKind Backbone { get; init; } = BackboneKind.ResNet18;

    /// <summary>How the backbone starts.</summary>
    public BackboneInitialization Initialization { get; init; } = BackboneInitialization.ImageNet;

    /// <summary>Square network input size in pixels.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Retrieval embedding size.</summary>
    public int EmbeddingSize { get; init; } = 256;

    /// <summary>Number of category classes.</summary>
    public int CategoryCount { get; init; } = 50;

    /// <summary>Number of binary attributes.</summary>
    public int AttributeCount { get; init; } = 1000;

    /// <summary>The map the local branch pools (the trunk's conv4 map, or the finer stride-8 map).</summary>
    public BackboneMap PooledMap { get; init; } = BackboneMap.Trunk;

    /// <summary>Landmark pooling window (odd, in cells of the pooled map).</summary>
    public int PoolingWindow { get; init; } = 3;

    /// <summary>Landmark pooling bins per side.</summary>
    public int PoolingBins { get; init; } = 1;

    /// <summary>
    /// Batch-normalize the pooled landmark features before the local fc (<see cref="FashionNetOptions.NormalizePooledFeatures"/>).
    /// Left out of the fingerprint when false, so earlier models keep their fingerprints.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool NormalizePooledFeatures { get; init; }

    /// <summary>Fuse the local (landmark pooling) branch into the embedding; false is the global-branch-only ablation.</summary>
    public bool LocalBranch { get; init; } = true;

    /// <summary>
    /// Training items of the item head (<see cref="FashionNetOptions.ItemCount"/>), 0 for none. Left out of the
    /// fingerprint when 0, so models without the head keep the fingerprint they had before the head existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int ItemCount { get; init; }

    /// <summary>Freeze the shared trunk (conv1..conv4) while training.</summary>
    public bool FreezeTrunk { get; init; }

    /// <summary>Where the ImageNet ONNX files are (default: <see cref="ImageNetWeights.DefaultDirectory"/>); not part of the fingerprint.</summary>
    [JsonIgnore]
    public string? PretrainedDirectory { get; init; }

    /// <summary>A recipe whose category and attribute heads fit every one of <paramref name="datasets"/> (at least one class each).</summary>
    public ModelRecipe For(params IReadOnlyList<FashionDataset> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Count == 0) throw new ArgumentException("At least one dataset is needed.", nameof(datasets));
        int categories = 1, attributes = 1;
        foreach (var dataset in datasets)
        {
            ArgumentNullException.ThrowIfNull(dataset, nameof(datasets));
            categories = Math.Max(categories, Math.Max(dataset.Categories.Count, dataset.Samples.Select(s => s.CategoryLabel ?? 0).DefaultIfEmpty(0).Max()));
            attributes = Math.Max(attributes, dataset.AttributeCount);
        }
        return this with { CategoryCount = categories, AttributeCount = attributes };
    }

    /// <summary>The fingerprint stored in checkpoints and retrieval indexes: this recipe as canonical JSON.</summary>
    [JsonIgnore]
    public string Fingerprint => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Rebuilds a recipe from a checkpoint's fingerprint.</summary>
    /// <exception cref="FormatException">The fingerprint is not a FashionNet model recipe.</exception>
    public static ModelRecipe FromFingerprint(string fingerprint)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelRecipe>(fingerprint, JsonOptions) ?? throw new FormatException("empty model fingerprint");
        }
        catch (JsonException e)
        {
            throw new FormatException($"The model fingerprint is not a FashionNet model recipe: {e.Message}", e);
        }
    }

    /// <summary>The model options of this recipe.</summary>
    public FashionNetOptions ModelOptions() => new()
    {
        ImageWidth = ImageSize,
        ImageHeight = ImageSize,
        EmbeddingSize = EmbeddingSize,
        CategoryCount = CategoryCount,
        AttributeCount = AttributeCount,
        PooledMap = PooledMap,
        PoolingWindow = PoolingWindow,
        PoolingBins = PoolingBins,
        NormalizePooledFeatures = NormalizePooledFeatures,
        FreezeTrunk = FreezeTrunk,
        UseLocalBranch = LocalBranch,
        ItemCount = ItemCount,
    };

    /// <summary>Whether ImageNet weights come with the library (no download) for <paramref name="backbone"/>: ResNet18 only.</summary>
    public static bool HasImageNetWeights(BackboneKind backbone) => backbone == BackboneKind.ResNet18;

    /// <summary>
    /// Builds the model for training, with ImageNet weights when the recipe says so, and the image normalization its
    /// backbone expects. The caller owns the returned model.
    /// </summary>
    /// <exception cref="NotSupportedException">ImageNet weights are asked for a backbone that has none (<see cref="HasImageNetWeights"/>).</exception>
    /// <exception cref="FileNotFoundException">The ImageNet weight files are missing.</exception>
    public (FashionNetModel Model, IImageNormalizer Normalizer) Build()
    {
        if (Initialization == BackboneInitialization.Random)
            return (new FashionNetModel(ModelOptions(), BackboneFactory.Create(Backbone)), ChannelNormalizer.ImageNet);
        if (!HasImageNetWeights(Backbone))
            throw new NotSupportedException($"ImageNet weights without a download exist for ResNet18 only, not {Backbone}; load torchvision weights with Backbone.LoadPyTorchStateDict.");
        var normalizer = ImageNetWeights.LoadNormalizer(ImageSize, PretrainedDirectory);
        return (new FashionNetModel(ModelOptions(), ImageNetWeights.LoadResNet18(PretrainedDirectory)), normalizer);
    }

    /// <summary>
    /// The model's architecture with freshly initialized weights, for loading a checkpoint into: no pretrained file is
    /// read (the ImageNet recipe's backbone has the layout of its weights, <see cref="ResNet.ResNet18Cntk"/>).
    /// </summary>
    public FashionNetModel CreateArchitecture() => new(ModelOptions(),
        Initialization == BackboneInitialization.ImageNet && Backbone == BackboneKind.ResNet18 ? ResNet.ResNet18Cntk() : BackboneFactory.Create(Backbone));
}
