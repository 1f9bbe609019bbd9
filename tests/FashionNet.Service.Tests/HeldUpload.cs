using System.Net;
using System.Net.Http.Headers;

namespace FashionNet.Service.Tests;

/// <summary>
/// A request body sent in two parts: the first at once, the rest only when <see cref="Release"/> is called (or never):
/// an upload in flight, to hold a search's slot for as long as a test needs.
/// </summary>
public sealed class HeldUpload : HttpContent
{
    private readonly byte[] _bytes;
    private readonly int _firstPart;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldUpload(byte[] bytes, string contentType = "image/jpeg")
    {
        _bytes = bytes;
        _firstPart = bytes.Length / 2;
        Headers.ContentType = new MediaTypeHeaderValue(contentType);
    }

    public void Release() => _release.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(_bytes.AsMemory(0, _firstPart));
        await stream.FlushAsync();
        await _release.Task;
        await stream.WriteAsync(_bytes.AsMemory(_firstPart));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _bytes.Length;
        return true;
    }
}
