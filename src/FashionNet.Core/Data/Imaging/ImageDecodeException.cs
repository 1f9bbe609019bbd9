namespace FashionNet.Data.Imaging;

/// <summary>Why an image could not be decoded, for callers that answer differently (a web service's status code, say).</summary>
public enum ImageDecodeFailure
{
    /// <summary>The file is missing or cannot be read.</summary>
    Unreadable,

    /// <summary>The file or stream is empty.</summary>
    Empty,

    /// <summary>More bytes than <see cref="ImageDecoderOptions.MaxFileBytes"/>.</summary>
    TooManyBytes,

    /// <summary>Not an image, or a format (or animation) the decoder does not read.</summary>
    UnsupportedFormat,

    /// <summary>The header declares more pixels than <see cref="ImageDecoderOptions.MaxPixels"/> (a pixel bomb, say).</summary>
    TooManyPixels,

    /// <summary>A supported format, but the header or pixel data is corrupt or truncated.</summary>
    Corrupt,
}

/// <summary>An image file could not be decoded: missing, empty, not an image, corrupt, truncated or over the pixel budget.</summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>; the message names the file and the problem.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The decoder's own exception, if any.</param>
    /// <param name="failure">The kind of problem.</param>
    public ImageDecodeException(string path, string problem, Exception? innerException = null, ImageDecodeFailure failure = ImageDecodeFailure.Corrupt)
        : base($"Cannot decode image '{path}': {problem}", innerException)
    {
        FilePath = path;
        Problem = problem;
        Failure = failure;
    }

    /// <summary>The image file that failed.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with the file, without the file name.</summary>
    public string Problem { get; }

    /// <summary>The kind of problem.</summary>
    public ImageDecodeFailure Failure { get; }
}
