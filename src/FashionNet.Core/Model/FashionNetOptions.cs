using FashionNet.Data;
using FashionNet.Kernels;
using FashionNet.Model.Backbones;

namespace FashionNet.Model;

/// <summary>Sizes and behaviour of <see cref="FashionNetModel"/>. The paper leaves most sizes open (window, fc sizes); the defaults suit ResNet18 at 224x224.</summary>
public sealed record FashionNetOptions
{
    /// <summary>Input image width in pixels; images passed to the model must have it.</summary>
    public int ImageWidth { get; init; } = 224;

    /// <summary>Input image height in pixels.</summary>
    public int ImageHeight { get; init; } = 224;

    /// <summary>Landmark slots predicted and pooled (DeepFashion's 8 by default).</summary>
    public int LandmarkCount { get; init; } = LandmarkLayout.SlotCount;

    /// <summary>Size of the global feature (fc after the global branch's pooled conv5 map).</summary>
    public int GlobalFeatureSize { get; init; } = 512;

    /// <summary>
    /// The pose branch's conv5 map is average-pooled to this many cells per side before its fully connected layers,
    /// which keeps coarse layout for landmark regression and makes the fc size independent of the input size.
    /// </summary>
    public int PoseGridSize { get; init; } = 3;

    /// <summary>Size of the pose branch's two hidden fully connected layers.</summary>
    public int PoseHiddenSize { get; init; } = 512;

    /// <summary>
    /// The map the local branch pools: the trunk's output ("conv4", stride 16 for ResNet: 14 x 14 at 224 px) or the
    /// finer stride-8 map (ResNet's layer2, VGG16's conv4_3: 28 x 28 at 224 px, as the paper pools).
    /// </summary>
    public BackboneMap PooledMap { get; init; } = BackboneMap.Trunk;

    /// <summary>Landmark pooling window, in cells of the pooled map; odd.</summary>
    public int PoolingWindow { get; init; } = 3;

    /// <summary>Landmark pooling output bins per side.</summary>
    public int PoolingBins { get; init; } = 1;

    /// <summary>Implementation of landmark pooling.</summary>
    public KernelBackend PoolingBackend { get; init; } = KernelBackend.Auto;

    /// <summary>
    /// Batch-normalize the concatenated pooled landmark features before the local fc. Max-pooled activations are
    /// non-negative and share a large common component; without it, in the item-term ablation's full model (seed 1) only
    /// about 7.5 of 512 local units fired per test photo (docs/RESULTS.md). Off by default (the paper's branch; earlier
    /// checkpoints), and on the In-shop sample it made retrieval worse, not better.
    /// </summary>
    public bool NormalizePooledFeatures { get; init; }

    /// <summary>Size of the local feature (fc over the concatenated pooled landmark features).</summary>
    public int LocalFeatureSize { get; init; } = 512;

    /// <summary>
    /// Fuse the local branch (landmark pooling) into the embedding. False gives the paper's ablation, the global branch
    /// alone: the embedding is fused from the global feature only (the pose branch still predicts landmarks).
    /// </summary>
    public bool UseLocalBranch { get; init; } = true;

    /// <summary>Size of the fused feature, the retrieval embedding.</summary>
    public int EmbeddingSize { get; init; } = 256;

    /// <summary>Clothing categories of the category head (DeepFashion Category and Attribute benchmark: 50).</summary>
    public int CategoryCount { get; init; } = 50;

    /// <summary>Binary attributes of the attribute head (DeepFashion: 1,000).</summary>
    public int AttributeCount { get; init; } = 1000;

    /// <summary>
    /// Training items of the item head, 0 for none (the default). The head holds one learned proxy per training item and
    /// scores each embedding by its cosine similarity to every proxy (<see cref="FashionNetOutput.ItemSimilarities"/>),
    /// for the normalized-softmax item term (<c>LossTermNames.Items</c>); retrieval does not use it.
    /// </summary>
    public int ItemCount { get; init; }

    /// <summary>Landmarks the local branch pools at in training mode.</summary>
    public LandmarkSource TrainingLandmarks { get; init; } = LandmarkSource.GroundTruth;

    /// <summary>Landmarks the local branch pools at in evaluation mode (the initial <see cref="FashionNetModel.EvaluationLandmarks"/>).</summary>
    public LandmarkSource EvaluationLandmarks { get; init; } = LandmarkSource.Predicted;

    /// <summary>A predicted landmark takes part in pooling when its visibility probability exceeds this; in (0, 1).</summary>
    public float VisibilityThreshold { get; init; } = 0.5f;

    /// <summary>Freeze the backbone's trunk (no gradients, batch-norm statistics fixed).</summary>
    public bool FreezeTrunk { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    internal void Validate(string parameterName)
    {
        foreach (var (name, value) in new (string, int)[]
        {
            (nameof(ImageWidth), ImageWidth), (nameof(ImageHeight), ImageHeight), (nameof(LandmarkCount), LandmarkCount),
            (nameof(GlobalFeatureSize), GlobalFeatureSize), (nameof(PoseGridSize), PoseGridSize), (nameof(PoseHiddenSize), PoseHiddenSize),
            (nameof(PoolingBins), PoolingBins), (nameof(LocalFeatureSize), LocalFeatureSize), (nameof(EmbeddingSize), EmbeddingSize),
            (nameof(CategoryCount), CategoryCount), (nameof(AttributeCount), AttributeCount),
        })
        {
            if (value < 1) throw new ArgumentException($"{name} must be at least 1, got {value}.", parameterName);
        }
        if (ItemCount < 0) throw new ArgumentException($"{nameof(ItemCount)} must not be negative, got {ItemCount}.", parameterName);
        if (PoolingWindow < 1 || PoolingWindow % 2 == 0)
            throw new ArgumentException($"{nameof(PoolingWindow)} must be odd and at least 1, got {PoolingWindow}.", parameterName);
        if (!(VisibilityThreshold > 0 && VisibilityThreshold < 1))
            throw new ArgumentException($"{nameof(VisibilityThreshold)} must be in (0, 1), got {VisibilityThreshold}.", parameterName);
        if (!Enum.IsDefined(TrainingLandmarks) || !Enum.IsDefined(EvaluationLandmarks) || !Enum.IsDefined(PoolingBackend) || !Enum.IsDefined(PooledMap))
            throw new ArgumentException("An enum setting has an undefined value.", parameterName);
    }
}
