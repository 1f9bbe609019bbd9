using System.Collections.Frozen;

namespace FashionNet.Service;

/// <summary>The web page, its script and style, and the OpenAPI document: embedded in the assembly, served as they are.</summary>
internal static class WebAssets
{
    private static readonly FrozenDictionary<string, (byte[] Content, string ContentType)> Resources = new[]
    {
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("openapi.json", "application/json; charset=utf-8"),
    }.ToFrozenDictionary(r => r.Item1, r => (Read(r.Item1), r.Item2));

    /// <summary>Each URL path with the resource it serves.</summary>
    public static IReadOnlyList<(string Path, string Resource)> Routes { get; } =
        [("/", "index.html"), ("/app.js", "app.js"), ("/app.css", "app.css"), ("/openapi.json", "openapi.json")];

    /// <summary>A resource as a response; the page may load only its own script, style, and photos from this server.</summary>
    public static IResult Serve(string resource)
    {
        var (content, contentType) = Resources[resource];
        return new AssetResult(content, contentType);
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(WebAssets).Assembly.GetManifestResourceStream($"wwwroot/{name}")
            ?? throw new InvalidOperationException($"The web asset '{name}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class AssetResult(byte[] content, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var headers = httpContext.Response.Headers;
            headers.CacheControl = "no-cache";
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            httpContext.Response.ContentType = contentType;
            httpContext.Response.ContentLength = content.Length;
            return httpContext.Response.Body.WriteAsync(content).AsTask();
        }
    }
}
