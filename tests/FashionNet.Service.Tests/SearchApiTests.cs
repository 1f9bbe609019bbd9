using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace FashionNet.Service.Tests;

/// <summary>The API against the real app on Kestrel (loopback, free port), one shared instance with the default limits.</summary>
[Collection(ServiceCollection.Name)]
public sealed class SearchApiTests(ServiceFixture fixture) : IAsyncLifetime
{
    private RunningService _service = null!;

    private HttpClient Client => _service.Client;

    public async Task InitializeAsync() => _service = await RunningService.StartAsync(fixture.Options with { MaxRequestBytes = 200_000 });

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private static ByteArrayContent Raw(byte[] bytes, string contentType = "image/jpeg")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private byte[] GalleryPhoto(int entry) => File.ReadAllBytes(fixture.Gallery[entry].ImagePath);

    [Fact]
    public async Task AGalleryPhotoFindsItsOwnEntryFirstWithLandmarksCategoriesAndItsServedPhoto()
    {
        const int entry = 7;
        var answer = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search?top=5", Raw(GalleryPhoto(entry))));

        Assert.Equal(5, answer.Matches.Count);
        Assert.Equal([1, 2, 3, 4, 5], answer.Matches.Select(m => m.Rank));
        Assert.Equal(entry, answer.Matches[0].Entry);
        Assert.Equal(fixture.Gallery[entry].ItemId, answer.Matches[0].ItemId);
        Assert.Equal(1f, answer.Matches[0].Score, 1e-4f);
        Assert.True(answer.Matches.Zip(answer.Matches.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(8, answer.Landmarks.Count);
        Assert.Equal("leftCollar", answer.Landmarks[0].Slot);
        Assert.All(answer.Landmarks, l => Assert.True(float.IsFinite(l.X) && float.IsFinite(l.Y) && l.Visibility is >= 0 and <= 1));
        Assert.Equal(3, answer.Categories.Count);
        Assert.True(answer.Categories[0].Probability >= answer.Categories[1].Probability);
        Assert.Equal(new PhotoSize(64, 64), answer.Image);
        Assert.True(answer.Timing.TotalMs >= answer.Timing.ModelMs && answer.Timing.BatchSize >= 1);

        // The matched photo is served from the gallery, byte for byte, with its image type.
        using var photo = await Client.GetAsync(answer.Matches[0].ImageUrl);
        Assert.Equal(HttpStatusCode.OK, photo.StatusCode);
        Assert.Equal("image/jpeg", photo.Content.Headers.ContentType?.MediaType);
        Assert.Equal(GalleryPhoto(entry), await photo.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AMultipartUploadAnswersLikeTheRawBody()
    {
        using var form = new MultipartFormDataContent { { Raw(GalleryPhoto(3)), "image", "photo.jpg" } };
        var multipart = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search", form));
        var raw = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search", Raw(GalleryPhoto(3))));

        Assert.Equal(10, multipart.Matches.Count);
        Assert.Equal(raw.Matches.Select(m => m.Entry), multipart.Matches.Select(m => m.Entry));
    }

    [Fact]
    public async Task APhoneStylePhotoStoredSidewaysIsTurnedUprightFirst()
    {
        // The gallery photo made non-square (so that a sideways photo would be framed differently), stored the way a
        // phone does: pixels turned a quarter counter-clockwise, with the EXIF tag saying "turn 90 degrees clockwise".
        using var upright = Image.Load<Rgb24>(GalleryPhoto(5));
        upright.Mutate(x => x.Pad(64, 96, Color.White));
        using var stored = upright.Clone(x => x.Rotate(RotateMode.Rotate270));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        byte[] uprightPng = Encode(upright), storedPng = Encode(stored);

        var fromUpright = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search", Raw(uprightPng, "image/png")));
        var fromStored = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search", Raw(storedPng, "image/png")));

        Assert.Equal(new PhotoSize(64, 96), fromStored.Image);
        Assert.Equal(fromUpright.Matches.Select(m => m.Entry), fromStored.Matches.Select(m => m.Entry));
        Assert.All(fromUpright.Matches.Zip(fromStored.Matches), p => Assert.Equal(p.First.Score, p.Second.Score, 1e-4f));
        Assert.All(fromUpright.Landmarks.Zip(fromStored.Landmarks), p => Assert.Equal(p.First.Y, p.Second.Y, 1e-4f));
    }

    private static byte[] Encode(Image image)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    [Fact]
    public async Task ACategoryFilterKeepsOnlyThatCategory()
    {
        var status = (await Client.GetFromJsonAsync<ServiceStatus>("/readyz"))!;
        Assert.Equal("ready", status.Status);
        Assert.Equal(fixture.Gallery.Count, status.Entries);
        Assert.Equal(fixture.Gallery.Count, status.Categories.Sum(c => c.Count));
        string category = status.Categories[^1].Name;

        var answer = await ServiceAssert.SearchAsync(await Client.PostAsync($"/api/search?top=100&category={category}", Raw(GalleryPhoto(0))));

        Assert.Equal(status.Categories[^1].Count, answer.Matches.Count);
        Assert.All(answer.Matches, m => Assert.Equal(category, m.Category));
        Assert.Equal(Enumerable.Range(1, answer.Matches.Count), answer.Matches.Select(m => m.Rank));
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search?category=Hats", Raw(GalleryPhoto(0))), HttpStatusCode.BadRequest, "category 'Hats' is not in the gallery");
    }

    [Fact]
    public async Task AnItemListsItsGalleryPhotos()
    {
        string item = fixture.Gallery[4].ItemId;
        var answer = (await Client.GetFromJsonAsync<ItemResponse>($"/api/items/{item}"))!;

        var expected = Enumerable.Range(0, fixture.Gallery.Count).Where(i => fixture.Gallery[i].ItemId == item);
        Assert.Equal(expected, answer.Images.Select(i => i.Entry));
        Assert.All(answer.Images, i => Assert.Equal($"/api/images/{i.Entry}", i.ImageUrl));
        await ServiceAssert.ErrorAsync(await Client.GetAsync("/api/items/id_99999999"), HttpStatusCode.NotFound, "item 'id_99999999' is not in the gallery");
        await ServiceAssert.ErrorAsync(await Client.GetAsync("/api/images/9999"), HttpStatusCode.NotFound, "entry 9999");
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413WhetherItsLengthIsDeclaredOrNot()
    {
        var big = new byte[300_000];
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw(big)), HttpStatusCode.RequestEntityTooLarge, "limit of 200000 bytes");

        var chunked = new StreamContent(new MemoryStream(big));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/search") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ServiceAssert.ErrorAsync(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "limit of 200000 bytes");
    }

    [Fact]
    public async Task WhatIsNotAPhotoIs415()
    {
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", new StringContent("hello")), HttpStatusCode.UnsupportedMediaType, "'text/plain; charset=utf-8' is not a photo upload");
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw("image_name item_id\n"u8.ToArray(), "image/png")), HttpStatusCode.UnsupportedMediaType,
            "not a supported image format");

        using var gif = new Image<Rgb24>(8, 8);
        using var stream = new MemoryStream();
        gif.SaveAsGif(stream);
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw(stream.ToArray(), "image/gif")), HttpStatusCode.UnsupportedMediaType, "not a supported image format");

        // An animated WebP announces its animation in the VP8X header: refused before decoding.
        byte[] animated = [.. "RIFF"u8, 30, 0, 0, 0, .. "WEBPVP8X"u8, 10, 0, 0, 0, 0x02, 0, 0, 0, 7, 0, 0, 7, 0, 0, .. "ANIM"u8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw(animated, "image/webp")), HttpStatusCode.UnsupportedMediaType, "animated WebP");
    }

    [Fact]
    public async Task CorruptPhotosAndPixelBombsAre400()
    {
        byte[] jpeg = GalleryPhoto(0);
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw(jpeg[..(jpeg.Length / 2)])), HttpStatusCode.BadRequest, "truncated JPEG");

        // A well-formed PNG declaring 60000 x 60000 pixels (10.8 GB as RGB) around a few bytes of data: refused from the header.
        byte[] bomb = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. PngChunk("IHDR", [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0]),
            .. PngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. PngChunk("IEND", [])];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw(bomb, "image/png")), HttpStatusCode.BadRequest, "60000x60000 = 3600000000 pixels exceed the budget");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore < 64_000_000, "the pixel bomb was allocated");

        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", Raw([])), HttpStatusCode.BadRequest, "the request body is empty");
        using var noFile = new MultipartFormDataContent { { new StringContent("12"), "top" } };
        await ServiceAssert.ErrorAsync(await Client.PostAsync("/api/search", noFile), HttpStatusCode.BadRequest, "the multipart form has no file");
    }

    private static byte[] PngChunk(string type, byte[] data)
    {
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(typeAndData);
        return [(byte)(data.Length >> 24), (byte)(data.Length >> 16), (byte)(data.Length >> 8), (byte)data.Length, .. typeAndData,
            (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-3")]
    [InlineData("ten")]
    public async Task TopOutOfRangeIs400(string top) =>
        await ServiceAssert.ErrorAsync(await Client.PostAsync($"/api/search?top={top}", Raw(GalleryPhoto(0))), HttpStatusCode.BadRequest,
            $"top must be a whole number from 1 to 100, got '{top}'");

    [Fact]
    public async Task ConcurrentSearchesEachFindTheirOwnPhoto()
    {
        var searches = Enumerable.Range(0, 16).Select(async i =>
        {
            int entry = i % fixture.Gallery.Count;
            var answer = await ServiceAssert.SearchAsync(await Client.PostAsync("/api/search?top=3", Raw(GalleryPhoto(entry))));
            return (entry, answer);
        }).ToArray();

        foreach (var (entry, answer) in await Task.WhenAll(searches))
        {
            Assert.Equal(entry, answer.Matches[0].Entry);
            Assert.Equal(1f, answer.Matches[0].Score, 1e-4f);
        }
    }

    [Fact]
    public async Task HealthPageAndOpenApiDocumentAreServed()
    {
        Assert.Equal("alive", (await Client.GetFromJsonAsync<JsonElement>("/healthz")).GetProperty("status").GetString());
        using var page = await Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"/app.js\"", await page.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/app.css")).StatusCode);
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi.json");
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesExactlyTheRoutesAndFieldsTheAppHas()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi.json");
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => $"{method.Name.ToUpperInvariant()} {path.Name}")).Order();
        var mapped = _service.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(method => $"{method} {e.RoutePattern.RawText!.Replace(":int", "", StringComparison.Ordinal)}")).Order();
        Assert.Equal(mapped, documented);

        // Every field of a real answer is a documented property, and every required property is in the answer.
        using var response = await Client.PostAsync("/api/search?top=2", Raw(GalleryPhoto(1)));
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        AssertFields(schemas, "SearchResponse", answer);
        AssertFields(schemas, "SearchMatch", answer.GetProperty("matches")[0]);
        AssertFields(schemas, "LandmarkPoint", answer.GetProperty("landmarks")[0]);
        AssertFields(schemas, "CategoryGuess", answer.GetProperty("categories")[0]);
        AssertFields(schemas, "SearchTiming", answer.GetProperty("timing"));
        AssertFields(schemas, "ServiceStatus", await Client.GetFromJsonAsync<JsonElement>("/readyz"));
    }

    private static void AssertFields(JsonElement schemas, string schema, JsonElement value)
    {
        var properties = schemas.GetProperty(schema).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        var required = schemas.GetProperty(schema).GetProperty("required").EnumerateArray().Select(p => p.GetString()!).Order();
        var fields = value.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(properties, fields);
        Assert.Equal(required, fields);
    }
}
