using FashionNet.Data;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Model;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>
/// A FashionNet model's outputs for a list of dataset samples, in the loader's sample order, with landmarks mapped back
/// into each source image so they compare directly with the annotations.
/// </summary>
public sealed class DatasetPredictions : IDisposable
{
    internal DatasetPredictions(int[] sampleIndices, Tensor embeddings, float[] landmarks, float[] visibility, ImageSize[] sourceSizes, Tensor categoryLogits,
        Tensor attributeLogits, BranchActivity? features)
    {
        SampleIndices = sampleIndices;
        Embeddings = embeddings;
        Landmarks = new LandmarkPredictions(landmarks, visibility, sourceSizes);
        CategoryLogits = categoryLogits;
        AttributeLogits = attributeLogits;
        Features = features;
    }

    /// <summary>Dataset index of each row.</summary>
    public IReadOnlyList<int> SampleIndices { get; }

    /// <summary>L2-normalized embeddings, float32 <c>[M, D]</c> on the CPU.</summary>
    public Tensor Embeddings { get; }

    /// <summary>
    /// Predicted landmarks per row, in source-image pixels, with the probability that each slot is visible; the local
    /// branch pools at the slots above the model's threshold.
    /// </summary>
    public LandmarkPredictions Landmarks { get; }

    /// <summary>Category logits <c>[M, categories]</c> on the CPU.</summary>
    public Tensor CategoryLogits { get; }

    /// <summary>Attribute logits <c>[M, attributes]</c> on the CPU.</summary>
    public Tensor AttributeLogits { get; }

    /// <summary>How many units of the global and local features fired on these samples; null when there were none.</summary>
    public BranchActivity? Features { get; }

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode over every batch of <paramref name="loader"/> (which should use a
    /// sequential sampler and the deterministic evaluation transform), one dispose scope per batch.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="loader">The samples to predict.</param>
    /// <param name="progress">Receives the number of images done after each batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static DatasetPredictions Predict(FashionNetModel model, FashionDataLoader loader, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        bool wasTraining = model.training;
        model.eval();
        var indices = new List<int>();
        var landmarks = new List<float>();
        var visibility = new List<float>();
        var sizes = new List<ImageSize>();
        var embeddings = new List<Tensor>();
        var categories = new List<Tensor>();
        var attributes = new List<Tensor>();
        var globalActivity = new FeatureActivityCounter();
        var localActivity = new FeatureActivityCounter();
        try
        {
            BatchInference.Run(loader, batch =>
            {
                using var output = model.call(batch.Images.to(model.Device), null);
                embeddings.Add(output.Embedding.cpu().MoveToOuterDisposeScope());
                categories.Add(output.CategoryLogits.cpu().MoveToOuterDisposeScope());
                attributes.Add(output.AttributeLogits.cpu().MoveToOuterDisposeScope());
                globalActivity.Add(output.GlobalFeature);
                if (output.LocalFeature.shape[1] > 0) localActivity.Add(output.LocalFeature);
                AddSourceLandmarks(output.Landmarks.cpu().data<float>().ToArray(), output.VisibilityLogits.sigmoid().cpu().data<float>().ToArray(), batch,
                    landmarks, visibility);
                indices.AddRange(batch.SampleIndices);
                sizes.AddRange(batch.SourceSizes);
                progress?.Report(indices.Count);
            }, cancellationToken);
            var options = model.Options;
            return new DatasetPredictions([.. indices], BatchInference.Concatenate(embeddings, options.EmbeddingSize), [.. landmarks], [.. visibility], [.. sizes],
                BatchInference.Concatenate(categories, options.CategoryCount), BatchInference.Concatenate(attributes, options.AttributeCount),
                globalActivity.Result() is { } global ? new BranchActivity(global, localActivity.Result()) : null);
        }
        finally
        {
            foreach (var t in embeddings.Concat(categories).Concat(attributes)) t.Dispose();
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Normalized network-input positions -> input pixels -> upright source pixels through each sample's crop -> the
    /// stored grid of the annotations; an image stored mirrored also trades left and right slots back.
    /// </summary>
    private static void AddSourceLandmarks(float[] normalized, float[] visible, FashionBatch batch, List<float> landmarks, List<float> visibility)
    {
        int height = (int)batch.Images.shape[2], width = (int)batch.Images.shape[3];
        int slots = visible.Length / batch.Count;
        var sampleLandmarks = new float[2 * slots];
        var sampleVisibility = new float[slots];
        for (int i = 0; i < batch.Count; i++)
        {
            var geometry = batch.Geometries[i];
            var orientation = batch.SourceOrientations[i];
            if (geometry.Flip)
                throw new InvalidOperationException("Predictions need the deterministic evaluation transform; this loader flips images.");
            for (int slot = 0; slot < slots; slot++)
            {
                int at = 2 * (i * slots + slot);
                var (uprightX, uprightY) = geometry.UnmapPoint(normalized[at] * width, normalized[at + 1] * height, width, height);
                int target = orientation.Mirrors() ? (int)LandmarkLayout.Mirror((LandmarkSlot)slot) : slot;
                (sampleLandmarks[2 * target], sampleLandmarks[2 * target + 1]) = orientation.ToStored(uprightX, uprightY, batch.SourceSizes[i]);
                sampleVisibility[target] = visible[i * slots + slot];
            }

            landmarks.AddRange(sampleLandmarks);
            visibility.AddRange(sampleVisibility);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Embeddings.Dispose();
        CategoryLogits.Dispose();
        AttributeLogits.Dispose();
    }
}
