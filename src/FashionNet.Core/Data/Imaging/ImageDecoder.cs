using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FashionNet.Data.Imaging;

/// <summary>
/// Decodes JPEG, PNG, BMP and single-frame WebP files to upright RGB pixels under <see cref="ImageDecoderOptions"/>
/// limits: the file size and the header's dimensions are checked before any pixel buffer is allocated, and every
/// failure (missing, empty, not an image, corrupt, truncated, too large) becomes an <see cref="ImageDecodeException"/>
/// naming the file. The EXIF orientation is applied (a phone's portrait photo stored sideways comes out upright) and
/// reported, so that annotations of the stored pixel grid can follow (<see cref="ImageOrientations"/>). Thread-safe:
/// one instance serves all loader workers.
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
        // whose total the header check cannot see (animated WebP is refused from its header). DeepFashion ships JPEGs;
        // WebP is what browsers and phones often upload.
        _configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new BmpConfigurationModule(),
            new WebpConfigurationModule());
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

    /// <summary>Reads and decodes an image file to upright 8-bit RGB.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(string path) => Decode(path, out _);

    /// <summary>Reads and decodes an image file to upright 8-bit RGB, and says how it was stored.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="storedOrientation">The file's EXIF orientation, which was applied to the returned pixels.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(string path, out ImageOrientation storedOrientation)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(ReadBounded(path), path, out storedOrientation);
    }

    /// <summary>Decodes an encoded image held in memory to upright 8-bit RGB.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="sourceName">The name used in error messages (usually the file path).</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(byte[] encoded, string sourceName) => Decode(encoded, sourceName, out _);

    /// <summary>
    /// Reads an encoded image from a stream (an upload, say) and decodes it to upright 8-bit RGB. At most
    /// <see cref="ImageDecoderOptions.MaxFileBytes"/> are read: a longer stream is refused without reading it all.
    /// </summary>
    /// <param name="stream">The encoded image; read to its end, not disposed.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The stream is empty, too long, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > Options.MaxFileBytes)
                throw new ImageDecodeException(sourceName, $"more than the limit of {Options.MaxFileBytes} bytes.", failure: ImageDecodeFailure.TooManyBytes);
            buffer.Write(chunk, 0, read);
        }

        return Decode(buffer.ToArray(), sourceName, out _);
    }

    /// <summary>Decodes an encoded image held in memory to upright 8-bit RGB, and says how it was stored.</summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="sourceName">The name used in error messages (usually the file path).</param>
    /// <param name="storedOrientation">The image's EXIF orientation, which was applied to the returned pixels.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The bytes are empty, not an image, corrupt, truncated or over a limit.</exception>
    public Image<Rgb24> Decode(byte[] encoded, string sourceName, out ImageOrientation storedOrientation)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (encoded.Length == 0) throw new ImageDecodeException(sourceName, "the file is empty (0 bytes).", failure: ImageDecodeFailure.Empty);
        if (encoded.Length > Options.MaxFileBytes)
            throw new ImageDecodeException(sourceName, $"{encoded.Length} bytes exceed the limit of {Options.MaxFileBytes} bytes.",
                failure: ImageDecodeFailure.TooManyBytes);

        // ImageSharp 2 cannot identify an animated WebP at all; say what it is before asking.
        if (IsAnimatedWebp(encoded))
            throw new ImageDecodeException(sourceName, "an animated WebP: only single-frame images are supported.", failure: ImageDecodeFailure.UnsupportedFormat);
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
            throw new ImageDecodeException(sourceName, $"not a supported image format ({SupportedFormats}).", failure: ImageDecodeFailure.UnsupportedFormat);
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(sourceName, $"invalid dimensions {info.Width}x{info.Height}.");
        long pixels = (long)info.Width * info.Height;
        if (pixels > Options.MaxPixels)
            throw new ImageDecodeException(sourceName,
                $"{info.Width}x{info.Height} = {pixels} pixels exceed the budget of {Options.MaxPixels} pixels.", failure: ImageDecodeFailure.TooManyPixels);
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

            storedOrientation = OrientationOf(image.Metadata);
            if (storedOrientation != ImageOrientation.Upright)
            {
                try
                {
                    image.Mutate(turn => turn.AutoOrient());
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
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

    /// <summary>The formats this decoder reads, as error messages name them.</summary>
    public const string SupportedFormats = "JPEG, PNG, BMP or single-frame WebP";

    /// <summary>The EXIF orientation in <paramref name="metadata"/>; upright when absent or out of range.</summary>
    private static ImageOrientation OrientationOf(ImageMetadata metadata)
    {
        ushort? value = metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value;
        return value is >= (ushort)ImageOrientation.Upright and <= (ushort)ImageOrientation.Rotated270 ? (ImageOrientation)value.Value : ImageOrientation.Upright;
    }

    // A RIFF WEBP header, then a VP8X chunk whose flag byte (file offset 20) has the animation bit 0x02.
    private static bool IsAnimatedWebp(ReadOnlySpan<byte> encoded) =>
        encoded.Length > 20 && encoded[..4].SequenceEqual("RIFF"u8) && encoded.Slice(8, 8).SequenceEqual("WEBPVP8X"u8) && (encoded[20] & 0x02) != 0;

    private byte[] ReadBounded(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            long length = stream.Length;
            if (length == 0) throw new ImageDecodeException(path, "the file is empty (0 bytes).", failure: ImageDecodeFailure.Empty);
            if (length > Options.MaxFileBytes)
                throw new ImageDecodeException(path, $"{length} bytes exceed the limit of {Options.MaxFileBytes} bytes.", failure: ImageDecodeFailure.TooManyBytes);
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (FileNotFoundException e)
        {
            throw new ImageDecodeException(path, "the file does not exist.", e, ImageDecodeFailure.Unreadable);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ImageDecodeException(path, "its folder does not exist.", e, ImageDecodeFailure.Unreadable);
        }
        catch (EndOfStreamException e)
        {
            throw new ImageDecodeException(path, "the file shrank while it was read.", e, ImageDecodeFailure.Unreadable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not ImageDecodeException)
        {
            throw new ImageDecodeException(path, $"cannot read the file: {e.Message}", e, ImageDecodeFailure.Unreadable);
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
    // argument, range, overflow and memory exceptions from inside the decoders, and a broken deflate stream in a PNG
    // as System.IO.Compression's InvalidDataException (which is not an IOException).
    private static bool IsDecoderFailure(Exception e) =>
        e is ImageFormatException or InvalidMemoryOperationException or ImageProcessingException
            or ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException
            or NotSupportedException or EndOfStreamException or IOException or InvalidDataException;
}
