using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Imaging;

/// <summary>How a garment is framed into the network input (used by evaluation and training alike).</summary>
public sealed record ImageTransformOptions
{
    /// <summary>Output width and height in pixels (default 224, the input of VGG16 and ResNet18).</summary>
    public int OutputSize { get; init; } = 224;

    /// <summary>Margin added on every side of the bounding box, as a fraction of the box's width or height (default 0.1);
    /// images without a box are used whole, without margin.</summary>
    public float BoxMargin { get; init; } = 0.1f;

    /// <summary>Whether the crop is widened to a square around the box centre so the garment is not distorted (default true).</summary>
    public bool KeepAspectRatio { get; init; } = true;

    /// <summary>Colour of the padding where the crop reaches outside the image (default the ImageNet mean colour, which
    /// normalizes to about zero).</summary>
    public Rgb24 PaddingColor { get; init; } = new(124, 116, 104);

    /// <summary>Random augmentation for training; null for the deterministic evaluation transform.</summary>
    public AugmentationOptions? Augmentation { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(OutputSize, 1, nameof(OutputSize));
        if (!(BoxMargin >= 0 && BoxMargin <= 10)) throw new ArgumentOutOfRangeException(nameof(BoxMargin), BoxMargin, "Must be in [0, 10].");
        Augmentation?.Validate();
    }
}

/// <summary>Random geometric augmentation applied on top of the bounding-box crop.</summary>
public sealed record AugmentationOptions
{
    /// <summary>Probability of a horizontal flip (default 0.5).</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>The crop side is multiplied by a factor drawn uniformly from <c>[1 - s, 1 + s]</c> (default 0.15).</summary>
    public float ScaleJitter { get; init; } = 0.15f;

    /// <summary>The crop centre moves by up to this fraction of the crop side in x and in y (default 0.08).</summary>
    public float TranslateJitter { get; init; } = 0.08f;

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (!(FlipProbability >= 0 && FlipProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(FlipProbability), FlipProbability, "Must be in [0, 1].");
        if (!(ScaleJitter >= 0 && ScaleJitter < 1)) throw new ArgumentOutOfRangeException(nameof(ScaleJitter), ScaleJitter, "Must be in [0, 1).");
        if (!(TranslateJitter >= 0 && TranslateJitter <= 1)) throw new ArgumentOutOfRangeException(nameof(TranslateJitter), TranslateJitter, "Must be in [0, 1].");
    }
}
