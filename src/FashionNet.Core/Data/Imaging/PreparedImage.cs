using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace FashionNet.Data.Imaging;

/// <summary>
/// One decoded photo as a network input, through the deterministic evaluation transform: the whole image (no box),
/// framed square, resized and normalized, as the loader prepares un-annotated images. Keeps the framing so that points
/// predicted on the input can be placed on the photo.
/// </summary>
public sealed class PreparedImage
{
    private PreparedImage(float[] pixels, int size, ImageSize sourceSize, CropGeometry geometry)
    {
        Pixels = pixels;
        Size = size;
        SourceSize = sourceSize;
        Geometry = geometry;
    }

    /// <summary>Normalized planar RGB, <c>3 x Size x Size</c> values (R plane, G plane, B plane).</summary>
    public float[] Pixels { get; }

    /// <summary>Network input width and height.</summary>
    public int Size { get; }

    /// <summary>Width and height of the (upright) photo.</summary>
    public ImageSize SourceSize { get; }

    /// <summary>The part of the photo the input shows.</summary>
    public CropGeometry Geometry { get; }

    /// <summary>Frames, resizes and normalizes a decoded photo.</summary>
    /// <param name="image">The photo (upright, as <see cref="ImageDecoder"/> returns it).</param>
    /// <param name="size">Network input width and height.</param>
    /// <param name="normalizer">The backbone's normalization, or null for RGB 0..255.</param>
    public static PreparedImage From(Image<Rgb24> image, int size, IImageNormalizer? normalizer)
    {
        ArgumentNullException.ThrowIfNull(image);
        var transform = ImageTransform.Evaluation(size);
        var geometry = transform.Plan(image.Width, image.Height, box: null, random: null);
        var pixels = new float[3 * size * size];
        transform.Render(image, geometry, pixels);
        normalizer?.Normalize(pixels, size, size);
        return new PreparedImage(pixels, size, new ImageSize(image.Width, image.Height), geometry);
    }

    /// <summary>One image file, decoded upright (EXIF orientation applied) and prepared.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="size">Network input width and height.</param>
    /// <param name="normalizer">The backbone's normalization, or null for RGB 0..255.</param>
    /// <param name="decoder">The decoder with its limits; default limits when null.</param>
    /// <exception cref="ImageDecodeException">The file is missing or cannot be decoded (the message names it).</exception>
    public static PreparedImage FromFile(string path, int size, IImageNormalizer? normalizer, ImageDecoder? decoder = null)
    {
        using var image = (decoder ?? new ImageDecoder()).Decode(path);
        return From(image, size, normalizer);
    }

    /// <summary>The network input <c>[1, 3, Size, Size]</c>, float32, on the CPU; the caller owns it.</summary>
    public Tensor ToTensor() => tensor(Pixels, [1, 3, Size, Size], device: CPU);

    /// <summary>
    /// A point predicted on the input (pixel coordinates divided by the input size, as the pose branch predicts
    /// landmarks) as a fraction of the photo's width and height, edge to edge (for drawing over the photo); values
    /// outside [0, 1] lie in the padding beyond the photo's edge.
    /// </summary>
    /// <param name="x">Input x over the input width.</param>
    /// <param name="y">Input y over the input height.</param>
    public (float X, float Y) ToSource(float x, float y)
    {
        var (sourceX, sourceY) = Geometry.UnmapPoint(x * Size, y * Size, Size, Size);
        // Pixel coordinates name pixel centres (CropGeometry): pixel i spans [i, i + 1) of the edge-to-edge width.
        return ((sourceX + 0.5f) / SourceSize.Width, (sourceY + 0.5f) / SourceSize.Height);
    }
}
