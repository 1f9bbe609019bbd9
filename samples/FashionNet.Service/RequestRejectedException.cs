namespace FashionNet.Service;

/// <summary>A request the service refuses, with the status code and the one line the client gets.</summary>
/// <param name="status">The HTTP status code.</param>
/// <param name="message">What is wrong, naming the argument or limit.</param>
internal sealed class RequestRejectedException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;
}
