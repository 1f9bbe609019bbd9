using FashionNet.Data;
using FashionNet.Kernels;
using FashionNet.Model.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model;

/// <summary>
/// FashionNet (Liu et al., CVPR 2016) on a <see cref="Backbone"/>: a shared trunk to the conv4 map, then three branches.
/// <list type="bullet">
/// <item>Global: the backbone's own final stage (conv5 / layer4), global average pooling, fc + ReLU.</item>
/// <item>Pose: its own copy of the final stage, average pooling to a <see cref="FashionNetOptions.PoseGridSize"/> grid,
/// two fc + ReLU, then landmark regression (sigmoid: normalized coordinates in (0, 1)) and one visibility logit per slot.</item>
/// <item>Local: <see cref="LandmarkPooling"/> at the (normalized) landmarks on a map of the shared trunk (the conv4 map,
/// or the finer stride-8 map: <see cref="FashionNetOptions.PooledMap"/>), pooled features of all slots concatenated (batch-normalized with
/// <see cref="FashionNetOptions.NormalizePooledFeatures"/>), fc + ReLU. Visibility gates hard: a landmark pools only when visible (predicted
/// probability above <see cref="FashionNetOptions.VisibilityThreshold"/>, or visible in the ground truth); otherwise its
/// pooled features are 0. Pooling passes no gradient to the landmarks: the pose branch learns from its own losses.</item>
/// </list>
/// Global and local features are concatenated and fused by one fc into the embedding; the category and attribute heads
/// read the fused feature, and <see cref="FashionNetOutput.Embedding"/> is its L2-normalized form; the optional item
/// head (<see cref="FashionNetOptions.ItemCount"/>) scores the embedding against one learned proxy per training item. With
/// <see cref="DetachAuxiliaryHeads"/> the pose, category and attribute losses train their own layers only.
/// </summary>
public sealed class FashionNetModel : nn.Module<Tensor, LandmarkTargets?, FashionNetOutput>
{
    private readonly FashionNetOptions options;
    private readonly Backbone backbone;
    private readonly nn.Module<Tensor, Tensor> poseStage;
    private readonly Linear globalFc;
    private readonly Linear poseFc1;
    private readonly Linear poseFc2;
    private readonly Linear landmarkHead;
    private readonly Linear visibilityHead;
    private readonly LandmarkPooling? landmarkPooling;
    private LandmarkSource trainingLandmarks;
    private LandmarkSource evaluationLandmarks;
    private readonly BatchNorm1d? pooledNorm;
    private readonly Linear? localFc;
    private readonly Linear fusionFc;
    private readonly Linear categoryHead;
    private readonly Linear attributeHead;
    private readonly Linear? itemHead;

    /// <summary>Builds the model on <paramref name="backbone"/>, which it takes ownership of (and disposes).</summary>
    /// <param name="options">Sizes and behaviour.</param>
    /// <param name="backbone">The backbone, e.g. from <see cref="BackboneFactory.Create"/> or with ImageNet weights loaded.</param>
    public FashionNetModel(FashionNetOptions options, Backbone backbone) : base(nameof(FashionNetModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backbone);
        options.Validate(nameof(options));
        this.options = options;
        trainingLandmarks = options.TrainingLandmarks;
        evaluationLandmarks = options.EvaluationLandmarks;
        this.backbone = backbone;
        if (options.FreezeTrunk) backbone.FreezeTrunk();
        poseStage = backbone.CloneFinalStage();

        int stage = backbone.FinalStageChannels, landmarks = options.LandmarkCount;
        globalFc = nn.Linear(stage, options.GlobalFeatureSize);
        poseFc1 = nn.Linear(stage * options.PoseGridSize * options.PoseGridSize, options.PoseHiddenSize);
        poseFc2 = nn.Linear(options.PoseHiddenSize, options.PoseHiddenSize);
        landmarkHead = nn.Linear(options.PoseHiddenSize, landmarks * 2);
        visibilityHead = nn.Linear(options.PoseHiddenSize, landmarks);
        if (options.UseLocalBranch)
        {
            landmarkPooling = new LandmarkPooling(new LandmarkPoolingOptions
            {
                WindowSize = options.PoolingWindow,
                Bins = options.PoolingBins,
                Backend = options.PoolingBackend,
            });
            int pooledFeatures = landmarks * backbone.ChannelsOf(options.PooledMap) * options.PoolingBins * options.PoolingBins;
            if (options.NormalizePooledFeatures) pooledNorm = nn.BatchNorm1d(pooledFeatures);
            localFc = nn.Linear(pooledFeatures, options.LocalFeatureSize);
        }
        fusionFc = nn.Linear(options.GlobalFeatureSize + (options.UseLocalBranch ? options.LocalFeatureSize : 0), options.EmbeddingSize);
        categoryHead = nn.Linear(options.EmbeddingSize, options.CategoryCount);
        attributeHead = nn.Linear(options.EmbeddingSize, options.AttributeCount);
        if (options.ItemCount > 0) itemHead = nn.Linear(options.EmbeddingSize, options.ItemCount, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The model's settings.</summary>
    public FashionNetOptions Options => options;

    /// <summary>
    /// Which landmarks the local branch pools at in training mode; starts as the options' <see cref="FashionNetOptions.TrainingLandmarks"/>
    /// and may be switched (a training run sets it from its configuration).
    /// </summary>
    public LandmarkSource TrainingLandmarks
    {
        get => trainingLandmarks;
        set => trainingLandmarks = Defined(value);
    }

    /// <summary>
    /// Which landmarks the local branch pools at in evaluation mode; starts as the options' <see cref="FashionNetOptions.EvaluationLandmarks"/>
    /// and may be switched like the train / eval mode (e.g. to <see cref="LandmarkSource.None"/> to measure what the
    /// local branch contributes).
    /// </summary>
    public LandmarkSource EvaluationLandmarks
    {
        get => evaluationLandmarks;
        set => evaluationLandmarks = Defined(value);
    }

    /// <summary>
    /// When true, the pose branch reads a detached conv4 map and the category and attribute heads a detached fused
    /// feature: their losses train the pose branch's own layers and the heads, while the shared trunk, the global and
    /// local branches and the fusion learn from the retrieval terms alone. Off by default (the paper's joint training);
    /// a training stage sets it (<c>StageOptions.DetachAuxiliaryHeads</c>). Outputs are the same either way.
    /// </summary>
    public bool DetachAuxiliaryHeads { get; set; }

    /// <summary>
    /// When true, the local branch pools a detached map: the retrieval terms train its fc and the fusion, while the
    /// shared trunk learns from the global branch's path alone. Off by default (the paper's joint training); a training
    /// stage sets it (<c>StageOptions.DetachLocalBranch</c>). Outputs are the same either way; without a local branch it
    /// changes nothing.
    /// </summary>
    public bool DetachLocalBranch { get; set; }

    /// <summary>The setters' check: <paramref name="value"/> itself, or the exception a setter throws for an undefined source.</summary>
    private static LandmarkSource Defined(LandmarkSource value) =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Undefined landmark source.");

    /// <summary>The device the model's parameters are on (move the model with <c>to(device)</c>).</summary>
    public Device Device => globalFc.weight!.device;

    /// <summary>The backbone: its trunk is shared, its own final stage is the global branch's conv5.</summary>
    public Backbone Backbone => backbone;

    /// <summary>Runs the model.</summary>
    /// <param name="images">Preprocessed images <c>[N, 3, ImageHeight, ImageWidth]</c>, float32.</param>
    /// <param name="groundTruth">Optional true landmarks of the images (as the loader builds them); the local branch pools at them when the current mode's <see cref="LandmarkSource"/> says so.</param>
    public override FashionNetOutput forward(Tensor images, LandmarkTargets? groundTruth)
    {
        ValidateInputs(images, groundTruth);
        using var scope = NewDisposeScope();
        int n = (int)images.shape[0];

        var maps = backbone.ForwardTrunkMaps(images);
        var conv4 = maps.Trunk;

        var globalMap = backbone.ForwardFinalStage(conv4);
        var globalFeature = nn.functional.relu(globalFc.forward(nn.functional.adaptive_avg_pool2d(globalMap, 1).flatten(1)));

        var poseInput = DetachAuxiliaryHeads ? conv4.detach() : conv4;
        var poseMap = nn.functional.adaptive_avg_pool2d(poseStage.forward(poseInput), options.PoseGridSize).flatten(1);
        var pose = nn.functional.relu(poseFc2.forward(nn.functional.relu(poseFc1.forward(poseMap))));
        var landmarks = landmarkHead.forward(pose).sigmoid().view(n, options.LandmarkCount, 2);
        var visibilityLogits = visibilityHead.forward(pose);

        var pooledMap = DetachLocalBranch ? maps[options.PooledMap].detach() : maps[options.PooledMap];
        var localFeature = LocalFeature(pooledMap, globalFeature, landmarks, visibilityLogits, groundTruth);

        var fused = fusionFc.forward(cat([globalFeature, localFeature], 1));
        var headInput = DetachAuxiliaryHeads ? fused.detach() : fused;
        var embedding = nn.functional.normalize(fused, p: 2, dim: 1);
        var output = new FashionNetOutput(
            embedding,
            globalFeature,
            localFeature,
            landmarks,
            visibilityLogits,
            categoryHead.forward(headInput),
            attributeHead.forward(headInput),
            ItemSimilarities(embedding));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The L2-normalized retrieval embeddings <c>[N, EmbeddingSize]</c> of <paramref name="images"/>, the local branch
    /// pooling at predicted landmarks. Gradient recording and train/eval mode are the caller's.
    /// </summary>
    public Tensor Embed(Tensor images)
    {
        using var scope = NewDisposeScope();
        var output = forward(images, null);
        return output.Embedding.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Points each item's proxy along the given direction: row <c>i</c> of <paramref name="itemDirections"/>
    /// <c>[ItemCount, EmbeddingSize]</c> (for example the sum of item <c>i</c>'s embeddings), normalized. A row of zeros
    /// (an item without photos) leaves that proxy as it is.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no item head.</exception>
    /// <exception cref="ArgumentException">The directions are not <c>[ItemCount, EmbeddingSize]</c>.</exception>
    public void SetItemProxies(Tensor itemDirections)
    {
        ArgumentNullException.ThrowIfNull(itemDirections);
        var proxies = itemHead?.weight ?? throw new InvalidOperationException("This model has no item head (FashionNetOptions.ItemCount is 0).");
        if (!itemDirections.shape.SequenceEqual(proxies.shape))
        {
            throw new ArgumentException(
                $"Expected item directions [{string.Join(", ", proxies.shape)}], got [{string.Join(", ", itemDirections.shape)}].", nameof(itemDirections));
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var directions = itemDirections.to(proxies.dtype, proxies.device);
        var present = directions.norm(1, keepdim: true) > 0;
        proxies.copy_(where(present, nn.functional.normalize(directions, p: 2, dim: 1), proxies));
    }

    /// <summary>
    /// Cosine similarities of the embeddings to the item proxies (the item head's weight rows, normalized), or an
    /// <c>[N, 0]</c> tensor without the head. The item term trains the embedding through them, so they are never detached.
    /// </summary>
    private Tensor ItemSimilarities(Tensor embedding) => itemHead is null
        ? embedding.new_zeros([embedding.shape[0], 0L])
        : nn.functional.linear(embedding, nn.functional.normalize(itemHead.weight!, p: 2, dim: 1));

    /// <summary>The local branch's feature, or an <c>[N, 0]</c> tensor when the branch is off (the ablation).</summary>
    private Tensor LocalFeature(Tensor pooledMap, Tensor globalFeature, Tensor landmarks, Tensor visibilityLogits, LandmarkTargets? truth)
    {
        if (landmarkPooling is null || localFc is null) return globalFeature.new_zeros([globalFeature.shape[0], 0L]);
        var (poolAt, poolVisible) = PoolingLandmarks(landmarks, visibilityLogits, truth);
        var pooled = landmarkPooling.forward(pooledMap, poolAt, poolVisible).flatten(1);
        return nn.functional.relu(localFc.forward(pooledNorm is null ? pooled : pooledNorm.forward(pooled)));
    }

    /// <summary>
    /// Landmarks (normalized) and visibility for the local branch. Predictions are detached: pooling does not
    /// differentiate with respect to positions anyway. With ground truth selected and given, a sample with at least one
    /// visible true landmark pools at its true visible landmarks; other samples fall back to predictions.
    /// </summary>
    private (Tensor Landmarks, Tensor Visible) PoolingLandmarks(Tensor predicted, Tensor visibilityLogits, LandmarkTargets? truth)
    {
        var predictedLandmarks = predicted.detach();
        var predictedVisible = visibilityLogits.detach().sigmoid().gt(options.VisibilityThreshold);
        var source = training ? trainingLandmarks : evaluationLandmarks;
        if (source == LandmarkSource.None) return (predictedLandmarks, zeros_like(predictedVisible));
        if (source == LandmarkSource.Predicted || truth is null || truth.LabelledSamples == 0) return (predictedLandmarks, predictedVisible);

        var truthVisible = truth.Visible;
        var hasTruth = truthVisible.any(1, keepdim: true);
        var visible = where(hasTruth, truthVisible, predictedVisible);
        // Visible true landmarks replace predictions; elsewhere the (finite) predictions stay, gated off or not by `visible`.
        var landmarks = where(truthVisible.unsqueeze(-1), truth.Positions.to(predictedLandmarks.dtype), predictedLandmarks);
        return (landmarks, visible);
    }

    private void ValidateInputs(Tensor images, LandmarkTargets? truth)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != options.ImageHeight || images.shape[3] != options.ImageWidth)
        {
            throw new ArgumentException(
                $"Expected images [N, 3, {options.ImageHeight}, {options.ImageWidth}], got [{string.Join(", ", images.shape)}].", nameof(images));
        }
        if (truth is not null && !truth.Positions.shape.SequenceEqual([images.shape[0], options.LandmarkCount, 2]))
        {
            throw new ArgumentException(
                $"Expected ground-truth landmarks for {images.shape[0]} images and {options.LandmarkCount} slots, got [{string.Join(", ", truth.Positions.shape)}].",
                "groundTruth");
        }
    }
}
