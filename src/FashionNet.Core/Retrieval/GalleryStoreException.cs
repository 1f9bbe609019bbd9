namespace FashionNet.Retrieval;

/// <summary>
/// A gallery store cannot be used as asked: it holds another embedder's embeddings or another dimension, its schema is of
/// an unsupported version, or the server behind it cannot be reached or refused the operation. The message is one line
/// that names the store (never its password).
/// </summary>
public sealed class GalleryStoreException : IOException
{
    /// <summary>Creates the exception for a store and what is wrong.</summary>
    /// <param name="location">The store (<see cref="IGalleryStore.Location"/>).</param>
    /// <param name="problem">What is wrong, in a sentence.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public GalleryStoreException(string location, string problem, Exception? innerException = null)
        : base($"Gallery store '{location}': {problem}", innerException)
    {
        Location = location;
        Problem = problem;
    }

    /// <summary>The store.</summary>
    public string Location { get; }

    /// <summary>What is wrong, in a sentence.</summary>
    public string Problem { get; }
}
