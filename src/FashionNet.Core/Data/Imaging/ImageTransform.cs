using FashionNet.Data.Annotations;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Imaging;

/// <summary>
/// Frames a garment into the square network input: bounding-box crop with margin (squared when keeping the aspect
/// ratio), resize, and — for training — random scale/translation jitter and horizontal flip. Pixels and landmarks go
/// through the same <see cref="CropGeometry"/>, so they cannot drift apart; landmarks that leave the crop become
/// truncated and flipped landmarks change slots. Without <see cref="ImageTransformOptions.Augmentation"/> the transform
/// is deterministic (the evaluation transform) and never touches a random generator.
/// </summary>
public sealed class ImageTransform
{
    /// <summary>Creates a transform with the given options.</summary>
    /// <param name="options">Framing and augmentation options.</param>
    public ImageTransform(ImageTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The deterministic evaluation transform (no augmentation) at the given input size.</summary>
    /// <param name="outputSize">Network input width and height.</param>
    /// <returns>The evaluation transform.</returns>
    public static ImageTransform Evaluation(int outputSize = 224) => new(new ImageTransformOptions { OutputSize = outputSize });

    /// <summary>The training transform with the default augmentation at the given input size.</summary>
    /// <param name="outputSize">Network input width and height.</param>
    /// <returns>The training transform.</returns>
    public static ImageTransform Training(int outputSize = 224) =>
        new(new ImageTransformOptions { OutputSize = outputSize, Augmentation = new AugmentationOptions() });

    /// <summary>The options of this transform.</summary>
    public ImageTransformOptions Options { get; }

    /// <summary>Whether the transform draws random numbers (training) or not (evaluation).</summary>
    public bool IsRandom => Options.Augmentation is not null;

    /// <summary>
    /// Chooses the source rectangle and flip for one image. The random generator is used only when augmenting, and
    /// then always for exactly four draws (scale, x shift, y shift, flip), so a per-sample seed fixes the result.
    /// </summary>
    /// <param name="imageWidth">Source image width in pixels.</param>
    /// <param name="imageHeight">Source image height in pixels.</param>
    /// <param name="box">The garment's bounding box (first and last pixel indices), widened by
    /// <see cref="ImageTransformOptions.BoxMargin"/>; null for the whole image without margin.</param>
    /// <param name="random">Random source; required when augmenting, ignored otherwise.</param>
    /// <returns>The geometry to render.</returns>
    public CropGeometry Plan(int imageWidth, int imageHeight, BoundingBox? box, Random? random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        float left, top, width, height;
        if (box is { Width: >= 0, Height: >= 0 } b)
        {
            // Box corners are pixel indices (first and last garment pixel); pixel i covers the continuous [i, i + 1).
            float margin = Options.BoxMargin;
            left = b.X1 - margin * (b.Width + 1);
            top = b.Y1 - margin * (b.Height + 1);
            width = (b.Width + 1) * (1 + 2 * margin);
            height = (b.Height + 1) * (1 + 2 * margin);
        }
        else
        {
            // No box: the whole image, as In-shop's garment-centred photos are meant to be used.
            (left, top, width, height) = (0, 0, imageWidth, imageHeight);
        }

        float centerX = left + width / 2, centerY = top + height / 2;
        if (Options.KeepAspectRatio) width = height = Math.Max(width, height);

        bool flip = false;
        if (Options.Augmentation is { } augmentation)
        {
            ArgumentNullException.ThrowIfNull(random, "random (required by an augmenting transform)");
            float scale = 1 + augmentation.ScaleJitter * (2 * (float)random.NextDouble() - 1);
            float shiftX = augmentation.TranslateJitter * (2 * (float)random.NextDouble() - 1);
            float shiftY = augmentation.TranslateJitter * (2 * (float)random.NextDouble() - 1);
            flip = random.NextDouble() < augmentation.FlipProbability;
            width *= scale;
            height *= scale;
            centerX += shiftX * width;
            centerY += shiftY * height;
        }

        return new CropGeometry(centerX - width / 2, centerY - height / 2, width, height, flip);
    }

    /// <summary>Renders <paramref name="geometry"/> of the image into a planar RGB buffer with values 0..255.</summary>
    /// <param name="image">Source image.</param>
    /// <param name="geometry">The view to render (from <see cref="Plan"/>).</param>
    /// <param name="planarRgb">Destination, <c>3 x OutputSize x OutputSize</c> floats (R plane, G plane, B plane).</param>
    public void Render(Image<Rgb24> image, CropGeometry geometry, Span<float> planarRgb)
    {
        ArgumentNullException.ThrowIfNull(image);
        CropResampler.Render(image, geometry, Options.OutputSize, Options.PaddingColor, planarRgb);
    }

    /// <summary>Maps landmarks with <paramref name="geometry"/> into output pixels (see <see cref="CropGeometry.MapLandmarks"/>).</summary>
    /// <param name="geometry">The view (from <see cref="Plan"/>).</param>
    /// <param name="landmarks">Source landmarks.</param>
    /// <returns>The landmarks in output pixels.</returns>
    public LandmarkSet MapLandmarks(CropGeometry geometry, LandmarkSet landmarks) =>
        geometry.MapLandmarks(landmarks, Options.OutputSize, Options.OutputSize);
}
