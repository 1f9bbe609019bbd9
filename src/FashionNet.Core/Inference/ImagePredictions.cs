using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>Turns the outputs of one FashionNet forward pass into per-image <see cref="ImagePrediction"/>s, whatever ran the model.</summary>
public static class ImagePredictions
{
    /// <summary>Reads the predictions of a batch of N images from the model's outputs (tensors on any device).</summary>
    /// <param name="embeddings">L2-normalized embeddings <c>[N, D]</c>.</param>
    /// <param name="landmarks">Normalized landmarks <c>[N, L, 2]</c>.</param>
    /// <param name="visibilityLogits">Visibility logits <c>[N, L]</c>.</param>
    /// <param name="categoryLogits">Category logits <c>[N, C]</c>.</param>
    /// <param name="visibilityThreshold">A landmark is visible when its probability exceeds this (the model's <see cref="Model.FashionNetOptions.VisibilityThreshold"/>).</param>
    /// <param name="topCategories">How many categories per image (at most C).</param>
    public static IReadOnlyList<ImagePrediction> FromOutputs(Tensor embeddings, Tensor landmarks, Tensor visibilityLogits, Tensor categoryLogits,
        float visibilityThreshold, int topCategories)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(landmarks);
        ArgumentNullException.ThrowIfNull(visibilityLogits);
        ArgumentNullException.ThrowIfNull(categoryLogits);
        ArgumentOutOfRangeException.ThrowIfLessThan(topCategories, 1);
        int n = (int)embeddings.shape[0], dimension = (int)embeddings.shape[1], slots = (int)visibilityLogits.shape[1];
        int k = Math.Min(topCategories, (int)categoryLogits.shape[1]);
        using var scope = NewDisposeScope();
        var embeddingValues = embeddings.cpu().contiguous().data<float>().ToArray();
        var landmarkValues = landmarks.cpu().contiguous().data<float>().ToArray();
        var visibility = visibilityLogits.sigmoid().cpu().contiguous().data<float>().ToArray();
        var (probabilities, classes) = categoryLogits.softmax(1).topk(k, dim: 1);
        var topProbabilities = probabilities.cpu().contiguous().data<float>().ToArray();
        var topClasses = classes.cpu().contiguous().data<long>().ToArray();

        var predictions = new ImagePrediction[n];
        for (int i = 0; i < n; i++)
        {
            var points = new PredictedLandmark[slots];
            for (int slot = 0; slot < slots; slot++)
            {
                float p = visibility[i * slots + slot];
                points[slot] = new PredictedLandmark((Data.LandmarkSlot)slot, landmarkValues[2 * (i * slots + slot)], landmarkValues[2 * (i * slots + slot) + 1], p, p > visibilityThreshold);
            }

            var categories = new CategoryScore[k];
            for (int c = 0; c < k; c++) categories[c] = new CategoryScore((int)topClasses[i * k + c] + 1, topProbabilities[i * k + c]);
            predictions[i] = new ImagePrediction(embeddingValues.AsSpan(i * dimension, dimension).ToArray(), points, categories);
        }
        return predictions;
    }
}
