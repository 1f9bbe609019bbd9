using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>
/// An embedder of a trained FashionNet that also reads out what the model says about each image: landmarks with their
/// visibility and the most probable categories (<see cref="FashionNetEmbedder"/> on LibTorch; an ONNX Runtime one in the
/// FashionNet.Core.Onnx package). <see cref="Predict"/> may be called from many threads at once.
/// </summary>
public interface IImagePredictor : IImageEmbedder
{
    /// <summary>
    /// Runs the model once on a batch and reads out, per image, the embedding, every landmark slot with its visibility
    /// and the most probable categories, without gradient recording.
    /// </summary>
    /// <param name="images">Normalized images <c>[N, 3, ImageSize, ImageSize]</c>, float32.</param>
    /// <param name="topCategories">How many categories per image (at most the model's category count).</param>
    IReadOnlyList<ImagePrediction> Predict(Tensor images, int topCategories = 3);
}
