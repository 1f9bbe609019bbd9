using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FashionNet.Service;

/// <summary>
/// Reads the photo of a search request: a multipart form's first file, or the raw body sent as an image type (or
/// application/octet-stream). The whole body counts against the size limit. A body over it is refused with 413; when it
/// is at most <see cref="DrainAllowance"/> over, the rest is read and dropped first, so that the client, still sending,
/// gets the answer instead of a reset connection. Bigger bodies are cut off (their clients should send
/// <c>Expect: 100-continue</c>, which gets the 413 before any byte of the body is sent).
/// </summary>
internal static class PhotoUpload
{
    /// <summary>How far past the limit a body is still read (and dropped) before the 413.</summary>
    public const long DrainAllowance = 1 << 20;

    /// <summary>The photo's bytes.</summary>
    /// <exception cref="RequestRejectedException">413 over the size limit, 415 for a body that is not a photo upload, 400 for no photo.</exception>
    public static async Task<byte[]> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes + DrainAllowance;
        try
        {
            return await ReadPhotoAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestRejectedException e) when (e.Status == StatusCodes.Status413PayloadTooLarge && !(request.ContentLength > maxBytes + DrainAllowance))
        {
            await DrainAsync(request.Body, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<byte[]> ReadPhotoAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || contentType.MediaType.Value is not { } mediaType)
            throw UnsupportedBody(request.ContentType);
        try
        {
            if (mediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
                return await ReadFirstFileAsync(request.Body, contentType, maxBytes, cancellationToken).ConfigureAwait(false);
            if (mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
                return await ReadBoundedAsync(request.Body, maxBytes, cancellationToken).ConfigureAwait(false) is { Length: > 0 } photo
                    ? photo
                    : throw new RequestRejectedException(StatusCodes.Status400BadRequest, "the request body is empty: send the photo's bytes.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own count of the body (chunked uploads declare no length).
            throw TooLarge(maxBytes);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RequestRejectedException(StatusCodes.Status400BadRequest, $"the upload could not be read: {e.Message}");
        }

        throw UnsupportedBody(request.ContentType);
    }

    private static async Task<byte[]> ReadFirstFileAsync(Stream body, MediaTypeHeaderValue contentType, long maxBytes, CancellationToken cancellationToken)
    {
        string boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value ?? "";
        if (boundary.Length == 0) throw new RequestRejectedException(StatusCodes.Status400BadRequest, "the multipart form has no boundary.");
        var reader = new MultipartReader(boundary, body) { BodyLengthLimit = maxBytes };
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                    return await ReadBoundedAsync(section.Body, maxBytes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(maxBytes);
        }
        catch (InvalidDataException e)
        {
            throw new RequestRejectedException(StatusCodes.Status400BadRequest, $"the multipart form is malformed: {e.Message}");
        }

        throw new RequestRejectedException(StatusCodes.Status400BadRequest, "the multipart form has no file: send the photo as a file field (e.g. 'image').");
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the rest of the body and drops it; stops quietly where Kestrel's own limit (the allowance) ends it.</summary>
    private static async Task DrainAsync(Stream body, CancellationToken cancellationToken)
    {
        var chunk = new byte[81920];
        try
        {
            while (await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Past the allowance: the connection is closed with the answer.
        }
    }

    private static RequestRejectedException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {maxBytes} bytes.");

    private static RequestRejectedException UnsupportedBody(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType,
            $"content type '{contentType ?? "(none)"}' is not a photo upload: send multipart/form-data with an image file, or the image itself as image/jpeg, image/png, image/bmp or image/webp.");
}
