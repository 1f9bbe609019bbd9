using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Training;

namespace FashionNet.Peers;

/// <summary>The real data the comparisons run on, read the way training reads it.</summary>
internal static class PeerData
{
    /// <summary>Where <c>../shared/data</c> lies for a run from the repository root.</summary>
    public const string SharedData = "../shared/data";

    /// <summary>The In-shop sample (train, query and gallery photos, no landmarks).</summary>
    public const string InShopSample = SharedData + "/deepfashion-inshop-sample";

    /// <summary>In-shop photos with landmarks (derived from parsing maps), boxes, and the sample's split.</summary>
    public const string InShopLandmarks = SharedData + "/deepfashion-inshop-landmarks";

    /// <summary>The training configuration of the real-photo runs (optimizer, loss weights, P x K, triplet margin).</summary>
    public const string Config = "configs/inshop-real.json";

    /// <summary>An In-shop folder with each image's category taken from its path, as <c>train --categories-from-path</c> reads it.</summary>
    public static FashionDataset ReadInShop(string root) =>
        DeepFashionReader.Read(root, DeepFashionFormat.InShop, new ReaderOptions { InShopCategoriesFromPath = true });

    /// <summary>The P x K sampler training builds over a dataset's train split.</summary>
    public static PKBatchSampler TrainSampler(FashionDataset dataset, TrainingOptions options) =>
        PKBatchSampler.ForItems(dataset, dataset.IndicesOf(EvaluationSplit.Train), options.ItemsPerBatch, options.ImagesPerItem, options.Seed);

    /// <summary>
    /// The first P x K training batch of stage 2's first epoch, decoded and augmented by the library's loader exactly as
    /// the trainer's loader would give it.
    /// </summary>
    public static FashionBatch FirstTrainingBatch(FashionDataset dataset, TrainingOptions options, int imageSize, IImageNormalizer normalizer)
    {
        var sampler = TrainSampler(dataset, options);
        var loader = new FashionDataLoader(dataset, sampler, ImageTransform.Training(imageSize), normalizer, new DataLoaderOptions { Seed = options.Seed });
        int epoch = FashionNetTrainer.EpochKey(2, 0);
        return loader.LoadBatch(sampler.Batches(epoch)[0], epoch, 0);
    }

    /// <summary>
    /// The int8 ONNX Runtime embedder of <paramref name="source"/>, calibrated on <see cref="OnnxInt8Calibration.DefaultImageCount"/>
    /// of the dataset's training photos spread evenly over the split (never a test photo), prepared as the source prepares them.
    /// </summary>
    public static OnnxFashionNetEmbedder Int8Embedder(FashionNetEmbedder source, FashionDataset dataset, OnnxRuntimeOptions options)
    {
        var picked = OnnxInt8Calibration.Spread(dataset.IndicesOf(EvaluationSplit.Train));
        var batches = FashionDataLoader.ForEvaluation(dataset, [.. picked], source.ImageSize, source.Normalizer, 32).ReadEpoch(0).ToList();
        try
        {
            return OnnxFashionNetEmbedder.QuantizedFromEmbedder(source, batches.Select(b => b.Images), options);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
        }
    }
}
