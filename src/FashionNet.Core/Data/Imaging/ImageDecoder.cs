using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Imaging;

/// <summary>
/// Decodes JPEG, PNG and BMP files to RGB pixels under <see cref="ImageDecoderOptions"/> limits: the file size and the header's
/// dimensions are checked before any pixel buffer is allocated, and every failure (missing, empty, not an image,
/// corrupt, truncated, too large) becomes an <see cref="ImageDecodeException"/> naming the file. Thread-safe: one
/// instance serves all loader workers.
/// </summary>
public sealed class ImageDecoder
{
    private readonly Configuration _configuration;

    /// <summary>Creates a decoder with the given limits (defaults when null).</summary>
    /// <param name="options">Decoding limits.</param>
    public ImageDecoder(ImageDecoderOptions? options = null)
    {
        Options = options ?? new ImageDecoderOptions();
        Options.Validate();
        // Single-frame formats only: an animated GIF, TIFF or WebP can hold many frames, each within the pixel budget,
        // whose total the header check cannot see. DeepFashion ships JPEGs.
        _configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new BmpConfigurationModule());
        _configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
        {
            AllocationLimitMegabytes = Options.AllocationLimitMegabytes,
            MaximumPoolSizeMegabytes = Options.PoolSizeMegabytes,
        });
        // Loader workers decode images in parallel already; ImageSharp's own parallelism would oversubscribe the cores.
        _configuration.MaxDegreeOfParallelism = 1;
    }

    /// <summary>The limits this decoder enforces.</summary>
    public ImageDecoderOptions Options { get; }

    /// <summary>Reads and decodes an image file to 8-bit RGB.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(ReadBounded(path), path);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="sourceName">The name used in error messages (usually the file path).</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(byte[] encoded, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (encoded.Length == 0) throw new ImageDecodeException(sourceName, "the file is empty (0 bytes).");
        if (encoded.Length > Options.MaxFileBytes)
            throw new ImageDecodeException(sourceName, $"{encoded.Length} bytes exceed the limit of {Options.MaxFileBytes} bytes.");

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(_configuration, encoded, out format);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new ImageDecodeException(sourceName, $"unreadable header: {e.Message}", e);
        }

        if (format is null || info is null)
            throw new ImageDecodeException(sourceName, "not a supported image format (JPEG, PNG or BMP).");
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(sourceName, $"invalid dimensions {info.Width}x{info.Height}.");
        long pixels = (long)info.Width * info.Height;
        if (pixels > Options.MaxPixels)
            throw new ImageDecodeException(sourceName,
                $"{info.Width}x{info.Height} = {pixels} pixels exceed the budget of {Options.MaxPixels} pixels.");
        if (Options.RequireCompleteJpeg && format is JpegFormat && !EndsWithJpegEndMarker(encoded))
            throw new ImageDecodeException(sourceName, "truncated JPEG: no end-of-image marker at the end of the file.");

        try
        {
            var image = Image.Load<Rgb24>(_configuration, encoded);
            if (image.Width != info.Width || image.Height != info.Height)
            {
                // The header lied about the size the decoder produced; do not trust the pixels.
                image.Dispose();
                throw new ImageDecodeException(sourceName,
                    $"decoded size {image.Width}x{image.Height} differs from the header's {info.Width}x{info.Height}.");
            }

            return image;
        }
        catch (ImageDecodeException)
        {
            throw;
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new ImageDecodeException(sourceName, $"corrupt image data: {e.Message}", e);
        }
    }

    private byte[] ReadBounded(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            long length = stream.Length;
            if (length == 0) throw new ImageDecodeException(path, "the file is empty (0 bytes).");
            if (length > Options.MaxFileBytes)
                throw new ImageDecodeException(path, $"{length} bytes exceed the limit of {Options.MaxFileBytes} bytes.");
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (FileNotFoundException e)
        {
            throw new ImageDecodeException(path, "the file does not exist.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ImageDecodeException(path, "its folder does not exist.", e);
        }
        catch (EndOfStreamException e)
        {
            throw new ImageDecodeException(path, "the file shrank while it was read.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not ImageDecodeException)
        {
            throw new ImageDecodeException(path, $"cannot read the file: {e.Message}", e);
        }
    }

    // A JPEG ends with FF D9. Encoders may pad after it, so look in the last bytes rather than at the very end; inside
    // entropy-coded data FF is always followed by 00 or a restart marker, so FF D9 there means the end of the image.
    private static bool EndsWithJpegEndMarker(ReadOnlySpan<byte> encoded)
    {
        const int Tail = 1024;
        ReadOnlySpan<byte> tail = encoded.Length > Tail ? encoded[^Tail..] : encoded;
        return tail.IndexOf([(byte)0xFF, (byte)0xD9]) >= 0;
    }

    // ImageSharp reports bad data with its own exception types, but malformed streams also surface as the runtime's
    // argument, range, overflow and memory exceptions from inside the decoders.
    private static bool IsDecoderFailure(Exception e) =>
        e is ImageFormatException or InvalidMemoryOperationException or ImageProcessingException
            or ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException
            or NotSupportedException or EndOfStreamException or IOException;
}
