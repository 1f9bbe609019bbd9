using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Kernels;
using FashionNet.Model;
using TorchSharp;

namespace FashionNet.Training;

/// <summary>Data-pipeline settings of a training run.</summary>
public sealed record TrainingDataOptions
{
    /// <summary>Background decoding workers.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The device the model trains on: the CPU (default) or a CUDA device (<see cref="Diagnostics.ComputeDevice"/>);
    /// batches are decoded on the host, into pinned memory for a GPU, and copied without blocking.
    /// </summary>
    public torch.Device? Device { get; init; }

    /// <summary>Batches decoded ahead of the trainer.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Batch size when embedding the validation images.</summary>
    public int EvaluationBatchSize { get; init; } = 32;

    /// <summary>
    /// Data that stage 1 trains on instead of the main dataset's train split, or null. Stage 1 learns the landmarks:
    /// when the main dataset has none (In-shop photos without landmark files), it can learn them from
    /// landmark-labelled data (the synthetic set, or the Landmark Detection benchmark) while stage 2 trains on the main
    /// data with the landmark terms off. The heads are sized for both datasets (class indices are shared); validation
    /// always runs on the main dataset.
    /// </summary>
    public FashionDataset? Stage1Dataset { get; init; }

    /// <summary>
    /// Landmark-labelled images mixed into the training batches of the stages that ask for them
    /// (<see cref="StageOptions.LandmarkImagesPerBatch"/>), or null. Only the training images with landmarks are used, and
    /// only their landmarks (<see cref="FashionDataset.LandmarksOnly"/>): their items, categories and attributes do not
    /// reach the loss, and they are never validated on.
    /// </summary>
    public FashionDataset? LandmarkDataset { get; init; }

    /// <summary>
    /// Leave training images that cannot be read out of their batch (reported through
    /// <see cref="TrainingRunOptions.OnSkippedImage"/> and counted per epoch as <c>skipped_images</c>) instead of stopping;
    /// see <see cref="DataLoaderOptions.SkipBadImages"/>. Off by default.
    /// </summary>
    public bool SkipBadImages { get; init; }

    /// <summary>With <see cref="SkipBadImages"/>: the largest share of an epoch's images that may be skipped before training stops (default 0.01).</summary>
    public double MaxBadImageFraction { get; init; } = 0.01;

    /// <summary>Validate between epochs: on query vs gallery for data with items, else on the val split (when the data has one).</summary>
    public bool Validate { get; init; } = true;
}

/// <summary>
/// A ready-to-run FashionNet training, composed from the library's pieces: the model and input normalization of a
/// <see cref="ModelRecipe"/>; a training loader with augmentation (P x K batches when the data has item identities,
/// shuffled batches of P * K otherwise); the objective with attribute weights counted on the training split; an
/// <see cref="InShopValidator"/> on query vs gallery, or a <see cref="HeldOutSplitValidator"/> on the val split; and
/// the two-stage <see cref="FashionNetTrainer"/>.
/// </summary>
public sealed class FashionNetTraining : IDisposable
{
    private readonly FashionNetCriterion _criterion;

    private FashionNetTraining(ModelRecipe recipe, FashionNetModel model, IImageNormalizer normalizer, FashionNetCriterion criterion,
        FashionNetTrainer trainer, FashionDataLoader? validationLoader, IModelValidator? validator, FashionDataset? landmarkImages)
    {
        Recipe = recipe;
        Model = model;
        Normalizer = normalizer;
        _criterion = criterion;
        Trainer = trainer;
        ValidationLoader = validationLoader;
        Validator = validator;
        LandmarkImages = landmarkImages;
    }

    /// <summary>The recipe, fitted to the dataset's categories and attributes.</summary>
    public ModelRecipe Recipe { get; }

    /// <summary>The model being trained.</summary>
    public FashionNetModel Model { get; }

    /// <summary>The input normalization of the model's backbone.</summary>
    public IImageNormalizer Normalizer { get; }

    /// <summary>The trainer.</summary>
    public FashionNetTrainer Trainer { get; }

    /// <summary>The held-out images (query and gallery, or the val split) with the evaluation transform, or null without validation.</summary>
    public FashionDataLoader? ValidationLoader { get; }

    /// <summary>The validation between epochs (<see cref="InShopValidator"/> or <see cref="HeldOutSplitValidator"/>), or null without validation.</summary>
    public IModelValidator? Validator { get; }

    /// <summary>
    /// The landmark-only images (<see cref="FashionDataset.LandmarksOnly"/> of <see cref="TrainingDataOptions.LandmarkDataset"/>)
    /// that join the batches of the stages asking for them, or null without landmark data.
    /// </summary>
    public FashionDataset? LandmarkImages { get; }

    /// <summary>Builds the training.</summary>
    /// <param name="dataset">A dataset with a train split (and query / gallery or val images for validation).</param>
    /// <param name="recipe">The architecture; its heads are fitted to the dataset.</param>
    /// <param name="options">The run's configuration.</param>
    /// <param name="data">Pipeline settings.</param>
    /// <exception cref="ArgumentException">The dataset has too few training items for P x K batches.</exception>
    public static FashionNetTraining Create(FashionDataset dataset, ModelRecipe recipe, TrainingOptions options, TrainingDataOptions? data = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(options);
        data ??= new TrainingDataOptions();
        options.Validate();
        var stage1Dataset = data.Stage1Dataset ?? dataset;
        recipe = recipe.For(dataset, stage1Dataset) with { ItemCount = ItemHeadSize(dataset, data.Stage1Dataset, options) };

        var landmarkImages = data.LandmarkDataset?.LandmarksOnly();

        var device = Diagnostics.ComputeDevice.RequireAvailable(data.Device ?? torch.CPU);
        var (model, normalizer) = recipe.Build();
        model.TrainingLandmarks = options.TrainingLandmarks;
        model.to(device);
        var loaderOptions = new DataLoaderOptions
        {
            Workers = data.Workers, Prefetch = data.Prefetch, Seed = options.Seed, PinMemory = device.type == DeviceType.CUDA,
        };
        var trainLoaderOptions = loaderOptions with { SkipBadImages = data.SkipBadImages, MaxBadImageFraction = data.MaxBadImageFraction };
        var trainTransform = ImageTransform.Training(recipe.ImageSize);
        FashionDataLoader StageLoader(FashionDataset stageData, int stage)
        {
            var (source, sampler) = StageBatches(stageData, landmarkImages, stage, options);
            return new FashionDataLoader(source, sampler, trainTransform, normalizer, trainLoaderOptions);
        }
        var trainLoader = StageLoader(dataset, 2);
        bool stage1Apart = data.Stage1Dataset is not null || options.Stage1.LandmarkImagesPerBatch != options.Stage2.LandmarkImagesPerBatch;
        var stage1Loader = stage1Apart ? StageLoader(stage1Dataset, 1) : null;
        var attributeWeights = AttributeWeightsOf(dataset, dataset.IndicesOf(EvaluationSplit.Train))
            ?? AttributeWeightsOf(stage1Dataset, stage1Dataset.IndicesOf(EvaluationSplit.Train));
        var criterion = FashionNetCriterion.Standard(options.TripletMargin, attributeWeights, device, options.ItemTemperature);

        // In-shop style data validates retrieval on query vs gallery; data without items validates on its val split.
        var heldOut = dataset.HasItems
            ? dataset.IndicesOf(EvaluationSplit.Query).Concat(dataset.IndicesOf(EvaluationSplit.Gallery)).ToArray()
            : [.. dataset.IndicesOf(EvaluationSplit.Validation)];
        FashionDataLoader? validationLoader = null;
        IModelValidator? validator = null;
        if (data.Validate && heldOut.Length > 0)
        {
            validationLoader = FashionDataLoader.ForEvaluation(dataset, heldOut, recipe.ImageSize, normalizer, data.EvaluationBatchSize, loaderOptions);
            validator = dataset.HasItems
                ? new InShopValidator(dataset, validationLoader)
                : new HeldOutSplitValidator(dataset, validationLoader, heldOut.Any(i => dataset.Samples[i].CategoryIndex is not null));
        }
        var itemProxyLoader = options.ItemProxies == ItemProxyStart.ItemMeans
            ? FashionDataLoader.ForEvaluation(dataset, dataset.IndicesOf(EvaluationSplit.Train), recipe.ImageSize, normalizer, data.EvaluationBatchSize, loaderOptions)
            : null;
        var trainer = new FashionNetTrainer(model, normalizer, options, trainLoader, criterion, validator, recipe.Fingerprint)
        {
            Stage1Loader = stage1Loader, ItemProxyLoader = itemProxyLoader,
        };
        return new FashionNetTraining(recipe, model, normalizer, criterion, trainer, validationLoader, validator, landmarkImages);
    }

    /// <summary>
    /// The item head's size: the dataset's item count when a stage weights the item term (labels are item indices of
    /// the dataset), else 0 (no head).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The data has no items, or stage 1 weights the item term while training on a separate stage-1 dataset (whose item
    /// indices name other items than stage 2's, so its proxies would be trained for the wrong items).
    /// </exception>
    private static int ItemHeadSize(FashionDataset dataset, FashionDataset? stage1Dataset, TrainingOptions options)
    {
        if (!options.UsesTerm(LossTermNames.Items)) return 0;
        if (!dataset.HasItems)
            throw new ArgumentException($"The items loss term needs item identities; the dataset at '{dataset.Root}' has none.", nameof(dataset));
        if (stage1Dataset is not null && options.Stage1.UsesTerm(LossTermNames.Items))
        {
            throw new ArgumentException(
                "stage1.lossWeights.items: the item term cannot train in stage 1 on a separate stage-1 dataset (its item indices name other items); weight it in stage 2 only.",
                nameof(options));
        }
        return dataset.Items.Count;
    }

    /// <summary>
    /// A stage's training batches: <paramref name="stageData"/>'s train split (<see cref="TrainSampler"/>), each batch
    /// topped up with the stage's <see cref="StageOptions.LandmarkImagesPerBatch"/> images of <paramref name="landmarkImages"/>
    /// when it asks for them; the batches then index both sets as one, <paramref name="stageData"/>'s samples first.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The stage asks for landmark images and the training has no landmark data, or the two do not combine (the stage's
    /// data already holds some of the landmark images, or they are in another format).
    /// </exception>
    private static (FashionDataset Source, IBatchSampler Sampler) StageBatches(FashionDataset stageData, FashionDataset? landmarkImages, int stage,
        TrainingOptions options)
    {
        var sampler = TrainSampler(stageData, options);
        int extraPerBatch = options.StageOptions(stage).LandmarkImagesPerBatch;
        if (extraPerBatch == 0) return (stageData, sampler);
        if (landmarkImages is null)
        {
            throw new ArgumentException(
                $"stage{stage}.landmarkImagesPerBatch is {extraPerBatch}, but the training has no landmark data (TrainingDataOptions.LandmarkDataset).", nameof(options));
        }
        FashionDataset mixed;
        try
        {
            mixed = FashionDataset.Concat(stageData, landmarkImages);
        }
        catch (ArgumentException e)
        {
            // Concat names the image two sets share (or the formats that differ); the user needs to know which option joined them.
            throw new ArgumentException($"stage{stage}.landmarkImagesPerBatch: the stage's training data and the landmark data do not combine: {e.Message}", e);
        }
        var extra = mixed.IndicesOf(EvaluationSplit.Train).Where(i => i >= stageData.Samples.Count).ToList();
        return (mixed, new MixedBatchSampler(sampler, extra, extraPerBatch, options.Seed));
    }

    /// <summary>Batches of a dataset's train split: P x K when it has item identities, shuffled batches of P * K otherwise.</summary>
    private static IBatchSampler TrainSampler(FashionDataset dataset, TrainingOptions options)
    {
        var train = dataset.IndicesOf(EvaluationSplit.Train);
        if (train.Count == 0) throw new ArgumentException($"The dataset at '{dataset.Root}' has no training split.", nameof(dataset));
        return dataset.HasItems
            ? ItemSampler(dataset, train, options)
            : new ShuffledBatchSampler(train, options.ItemsPerBatch * options.ImagesPerItem, options.Seed);
    }

    private static PKBatchSampler ItemSampler(FashionDataset dataset, IReadOnlyList<int> train, TrainingOptions options)
    {
        var sampler = new PKBatchSampler(train, i => dataset.Samples[i].ItemIndex ?? -1, options.ItemsPerBatch, options.ImagesPerItem, options.Seed);
        if (sampler.EligibleItems < options.ItemsPerBatch)
        {
            throw new ArgumentException(
                $"The training split of '{dataset.Root}' has {sampler.EligibleItems} items with at least 2 images; P x K batches need {options.ItemsPerBatch}.",
                nameof(dataset));
        }
        return sampler;
    }

    /// <summary>Attribute loss weights from the labelled entries of the given samples, or null when they carry no attributes.</summary>
    public static AttributeWeights? AttributeWeightsOf(FashionDataset dataset, IReadOnlyList<int> indices)
    {
        var labelled = indices.Select(i => dataset.Samples[i].Attributes).Where(a => a is not null).Select(a => a!.Value).ToList();
        if (labelled.Count == 0 || labelled[0].Count == 0) return null;
        int count = labelled[0].Count;
        var targets = new float[labelled.Count * count];
        var mask = new float[labelled.Count * count];
        for (int row = 0; row < labelled.Count; row++)
            labelled[row].CopyTo(targets.AsSpan(row * count, count), mask.AsSpan(row * count, count));
        using var targetTensor = torch.tensor(targets, [labelled.Count, count]);
        using var maskTensor = torch.tensor(mask, [labelled.Count, count]);
        return AttributeWeights.FromLabels(targetTensor, maskTensor);
    }

    /// <summary>Runs (or resumes) the training; see <see cref="FashionNetTrainer.Run"/>.</summary>
    public TrainingSummary Run(TrainingRunOptions run, CancellationToken cancellationToken = default) => Trainer.Run(run, cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        Model.Dispose();
        _criterion.Dispose();
    }
}
