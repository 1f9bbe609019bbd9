namespace FashionNet.Data.Imaging;

/// <summary>
/// Turns planar RGB pixels with values 0..255 (the output of <see cref="ImageTransform.Render"/>) into what one
/// backbone's pretrained weights expect, in place. Backbones differ (ImageNet mean/std on 0..1 RGB for torchvision
/// weights; BGR minus a mean image for the ResNet18 ONNX weights), so the normalization is a pluggable piece.
/// </summary>
public interface IImageNormalizer
{
    /// <summary>Normalizes one image in place.</summary>
    /// <param name="planarRgb">3 planes (R, G, B) of <paramref name="height"/> x <paramref name="width"/> values 0..255.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    void Normalize(Span<float> planarRgb, int height, int width);
}

/// <summary>torchvision's ImageNet normalization: <c>(value / 255 - mean) / std</c> per RGB channel.</summary>
public sealed class ChannelNormalizer : IImageNormalizer
{
    private readonly float[] _scale = new float[3];
    private readonly float[] _shift = new float[3];

    /// <summary>Creates a per-channel normalizer for values scaled to 0..1.</summary>
    /// <param name="mean">R, G, B means on the 0..1 scale.</param>
    /// <param name="std">R, G, B standard deviations on the 0..1 scale; positive.</param>
    public ChannelNormalizer(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.Length != 3 || std.Length != 3) throw new ArgumentException("Mean and std need one value per RGB channel.");
        for (int c = 0; c < 3; c++)
        {
            if (!(std[c] > 0)) throw new ArgumentOutOfRangeException(nameof(std), std[c], "Standard deviations must be positive.");
            _scale[c] = 1 / (255 * std[c]);
            _shift[c] = -mean[c] / std[c];
        }
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>R, G, B means on the 0..1 scale.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>R, G, B standard deviations on the 0..1 scale.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>ImageNet statistics (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225), as torchvision's pretrained models expect.</summary>
    public static ChannelNormalizer ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <inheritdoc />
    public void Normalize(Span<float> planarRgb, int height, int width)
    {
        int plane = PlaneSize(planarRgb, height, width);
        for (int c = 0; c < 3; c++)
        {
            Span<float> values = planarRgb.Slice(c * plane, plane);
            float scale = _scale[c], shift = _shift[c];
            for (int i = 0; i < values.Length; i++) values[i] = values[i] * scale + shift;
        }
    }

    internal static int PlaneSize(Span<float> planarRgb, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (planarRgb.Length != 3 * height * width)
            throw new ArgumentException($"Expected 3 x {height} x {width} values, got {planarRgb.Length}.", nameof(planarRgb));
        return height * width;
    }
}

/// <summary>
/// The Caffe/CNTK convention of the ResNet18 ONNX weights (Microsoft.ML.DnnImageFeaturizer.ResNet18's
/// ResNetPreprocess.onnx): channels reordered to BGR, values kept on 0..255, minus a per-pixel mean image.
/// </summary>
public sealed class MeanImageBgrNormalizer : IImageNormalizer
{
    private readonly float[] _meanBgr;

    /// <summary>Creates the normalizer from a planar BGR mean image.</summary>
    /// <param name="meanBgr">Mean image, 3 planes (B, G, R) of <paramref name="height"/> x <paramref name="width"/>, on the 0..255 scale.</param>
    /// <param name="height">Mean image height (the network input height).</param>
    /// <param name="width">Mean image width (the network input width).</param>
    public MeanImageBgrNormalizer(float[] meanBgr, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(meanBgr);
        ChannelNormalizer.PlaneSize(meanBgr, height, width);
        _meanBgr = (float[])meanBgr.Clone();
        Height = height;
        Width = width;
    }

    /// <summary>Height the mean image fixes for every input.</summary>
    public int Height { get; }

    /// <summary>Width the mean image fixes for every input.</summary>
    public int Width { get; }

    /// <summary>The mean image, 3 planes (B, G, R) of <see cref="Height"/> x <see cref="Width"/>, on the 0..255 scale.</summary>
    public ReadOnlySpan<float> MeanBgr => _meanBgr;

    /// <inheritdoc />
    public void Normalize(Span<float> planarRgb, int height, int width)
    {
        int plane = ChannelNormalizer.PlaneSize(planarRgb, height, width);
        if (height != Height || width != Width)
            throw new ArgumentException($"The mean image is {Height}x{Width}; the input is {height}x{width}.");

        // Swap the R and B planes, then subtract the BGR mean everywhere.
        Span<float> red = planarRgb[..plane], blue = planarRgb.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++) (red[i], blue[i]) = (blue[i], red[i]);
        ReadOnlySpan<float> mean = _meanBgr;
        for (int i = 0; i < planarRgb.Length; i++) planarRgb[i] -= mean[i];
    }
}

/// <summary>
/// Stores the library's normalizers in a stream (a checkpoint keeps the one its model was trained with, so a checkpoint
/// alone is enough to embed images): a kind tag, then the normalizer's parameters.
/// </summary>
public static class ImageNormalizerFormat
{
    private const string ChannelKind = "channel-mean-std", MeanImageKind = "mean-image-bgr";

    /// <summary>Writes <paramref name="normalizer"/> to <paramref name="stream"/>.</summary>
    /// <exception cref="NotSupportedException">A normalizer of another type (the format knows the library's two).</exception>
    public static void Write(Stream stream, IImageNormalizer normalizer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(normalizer);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        switch (normalizer)
        {
            case ChannelNormalizer channel:
                writer.Write(ChannelKind);
                foreach (float value in channel.Mean.Concat(channel.Std)) writer.Write(value);
                break;
            case MeanImageBgrNormalizer meanImage:
                writer.Write(MeanImageKind);
                writer.Write(meanImage.Height);
                writer.Write(meanImage.Width);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(meanImage.MeanBgr));
                break;
            default:
                throw new NotSupportedException($"Normalizers of type {normalizer.GetType().Name} cannot be stored; use {nameof(ChannelNormalizer)} or {nameof(MeanImageBgrNormalizer)}.");
        }
    }

    /// <summary>Reads a normalizer written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a stored normalizer.</exception>
    public static IImageNormalizer Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            string kind = reader.ReadString();
            switch (kind)
            {
                case ChannelKind:
                    float[] values = [.. Enumerable.Range(0, 6).Select(_ => reader.ReadSingle())];
                    return new ChannelNormalizer(values.AsSpan(0, 3), values.AsSpan(3, 3));
                case MeanImageKind:
                    int height = reader.ReadInt32(), width = reader.ReadInt32();
                    if (height is < 1 or > 16384 || width is < 1 or > 16384) throw new InvalidDataException($"implausible mean image size {width}x{height}");
                    var mean = new float[3 * height * width];
                    reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(mean.AsSpan()));
                    return new MeanImageBgrNormalizer(mean, height, width);
                default:
                    throw new InvalidDataException($"unknown normalizer kind '{kind}'");
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"the normalizer ends early or is invalid: {e.Message}", e);
        }
    }
}
