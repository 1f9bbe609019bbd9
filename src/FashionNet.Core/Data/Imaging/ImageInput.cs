using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace FashionNet.Data.Imaging;

/// <summary>
/// The single-image path of the data pipeline: one image framed by the deterministic evaluation transform (the whole
/// image, resized) and normalized, as a network input <c>[1, 3, S, S]</c>. The same steps, in the same code, as the
/// loader's evaluation batches, without a dataset or loader around one photo.
/// </summary>
public static class ImageInput
{
    /// <summary>One decoded image as a network input.</summary>
    /// <param name="image">The image.</param>
    /// <param name="imageSize">Square network input size in pixels.</param>
    /// <param name="normalizer">The backbone's normalization, or null for RGB 0..255.</param>
    /// <returns>float32 <c>[1, 3, imageSize, imageSize]</c> on the CPU; the caller owns it.</returns>
    public static Tensor FromImage(Image<Rgb24> image, int imageSize, IImageNormalizer? normalizer)
    {
        ArgumentNullException.ThrowIfNull(image);
        var transform = ImageTransform.Evaluation(imageSize);
        var input = empty([1, 3, imageSize, imageSize], ScalarType.Float32, device: CPU);
        Span<float> pixels = MemoryMarshal.Cast<byte, float>(input.bytes);
        transform.Render(image, transform.Plan(image.Width, image.Height, box: null, random: null), pixels);
        normalizer?.Normalize(pixels, imageSize, imageSize);
        return input;
    }

    /// <summary>One image file as a network input.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="imageSize">Square network input size in pixels.</param>
    /// <param name="normalizer">The backbone's normalization, or null for RGB 0..255.</param>
    /// <param name="decoder">The decoder with its limits; default limits when null.</param>
    /// <returns>float32 <c>[1, 3, imageSize, imageSize]</c> on the CPU; the caller owns it.</returns>
    /// <exception cref="ImageDecodeException">The file is missing or cannot be decoded (the message names it).</exception>
    public static Tensor FromFile(string path, int imageSize, IImageNormalizer? normalizer, ImageDecoder? decoder = null)
    {
        using var image = (decoder ?? new ImageDecoder()).Decode(path);
        return FromImage(image, imageSize, normalizer);
    }
}
