namespace FashionNet.Retrieval;

/// <summary>
/// A retrieval index file cannot be used: it is corrupt, truncated, not an index at all, of an unsupported format
/// version, or built by a different model or for a different embedding dimension than the caller expects.
/// </summary>
public sealed class RetrievalIndexException : IOException
{
    /// <summary>Creates the exception for a file and what is wrong with it.</summary>
    /// <param name="filePath">The index file.</param>
    /// <param name="problem">What is wrong, in a sentence.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public RetrievalIndexException(string filePath, string problem, Exception? innerException = null)
        : base($"Retrieval index '{filePath}': {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The index file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
