using FashionNet.Data.Imaging;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>
/// Turns preprocessed images into L2-normalized retrieval embeddings: a trained FashionNet
/// (<see cref="FashionNetEmbedder"/>) or an off-the-shelf baseline (<see cref="ImageNetBaselineEmbedder"/>). An
/// embedder says what input it needs (<see cref="ImageSize"/>, <see cref="Normalizer"/>), so the same data pipeline
/// feeds any of them, and carries a <see cref="Fingerprint"/> that retrieval indexes record, so embeddings of different
/// models are never compared. <see cref="Embed"/> may be called from many threads at once.
/// </summary>
public interface IImageEmbedder : IDisposable
{
    /// <summary>Identifies the model and preprocessing: equal fingerprints give the same embedding for the same image.</summary>
    string Fingerprint { get; }

    /// <summary>Square input size in pixels the images are framed to.</summary>
    int ImageSize { get; }

    /// <summary>The normalization applied to planar RGB 0..255 pixels before <see cref="Embed"/>.</summary>
    IImageNormalizer Normalizer { get; }

    /// <summary>Embedding dimension D.</summary>
    int Dimension { get; }

    /// <summary>
    /// The file the model was loaded from (a checkpoint), as a full path; indexes built with this embedder record it so
    /// that they can be searched without naming the model again (<see cref="VisualSearch.LoadEmbedderFor(Retrieval.IGalleryStore, TorchSharp.torch.Device, IEmbedderLoader)"/>). Null when
    /// the model was not loaded from a file, or needs no file to be found again (the built-in baseline).
    /// </summary>
    string? ModelPath => null;

    /// <summary>
    /// The embeddings of a batch, without gradient recording: float32 <c>[N, D]</c> on the CPU, each row of unit length.
    /// </summary>
    /// <param name="images">Normalized images <c>[N, 3, ImageSize, ImageSize]</c>, float32.</param>
    Tensor Embed(Tensor images);
}
