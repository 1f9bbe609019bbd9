namespace FashionNet.Data.Imaging;

/// <summary>An image file could not be decoded: missing, empty, not an image, corrupt, truncated or over the pixel budget.</summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>; the message names the file and the problem.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The decoder's own exception, if any.</param>
    public ImageDecodeException(string path, string problem, Exception? innerException = null)
        : base($"Cannot decode image '{path}': {problem}", innerException)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The image file that failed.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with the file, without the file name.</summary>
    public string Problem { get; }
}
