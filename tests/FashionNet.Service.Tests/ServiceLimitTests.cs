using System.Net;
using System.Net.Http.Json;

namespace FashionNet.Service.Tests;

/// <summary>
/// Bounded concurrency, time limit, draining on stop and failed loading, each against its own app instance. Uploads
/// held half-sent keep searches running for exactly as long as a test needs; the service's own counts (on /readyz)
/// say when they hold a slot or wait for one.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class ServiceLimitTests(ServiceFixture fixture)
{
    private byte[] Photo => File.ReadAllBytes(fixture.Gallery[2].ImagePath);

    [Fact]
    public async Task SearchesBeyondTheSlotsAndTheQueueAre503WithRetryAfter()
    {
        await using var service = await RunningService.StartAsync(fixture.Options with { MaxConcurrentSearches = 1, QueueLimit = 1 });
        using var other = new HttpClient { BaseAddress = service.BaseAddress };
        var running = new HeldUpload(Photo);
        var waiting = new HeldUpload(Photo);

        var first = service.Client.PostAsync("/api/search", running);
        await ServiceAssert.UntilAsync(other, s => s.SearchesRunning == 1);
        var second = service.Client.PostAsync("/api/search", waiting);
        await ServiceAssert.UntilAsync(other, s => s.SearchesWaiting == 1);

        using var refused = await other.PostAsync("/api/search", new ByteArrayContent(Photo) { Headers = { ContentType = new("image/jpeg") } });
        await ServiceAssert.ErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "busy: 1 searches are running and 1 waiting");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);

        running.Release();
        waiting.Release();
        Assert.Equal(2, (await ServiceAssert.SearchAsync(await first)).Matches[0].Entry);
        Assert.Equal(2, (await ServiceAssert.SearchAsync(await second)).Matches[0].Entry);
    }

    [Fact]
    public async Task ARequestOverTheTimeLimitIs504()
    {
        await using var service = await RunningService.StartAsync(fixture.Options with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var stalled = new HeldUpload(Photo);

        // The client reads the answer once it has sent the whole body, so the rest goes well after the limit.
        var post = service.Client.PostAsync("/api/search", stalled);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        stalled.Release();
        using var response = await post;

        await ServiceAssert.ErrorAsync(response, HttpStatusCode.GatewayTimeout, "longer than the time limit of 0.3 s");
        // The search gave its slot back.
        await ServiceAssert.UntilAsync(service.Client, s => s.SearchesRunning == 0 && s.SearchesWaiting == 0);
    }

    [Fact]
    public async Task StoppingLetsASearchInFlightFinish()
    {
        var service = await RunningService.StartAsync(fixture.Options);
        var upload = new HeldUpload(Photo);
        var search = service.Client.PostAsync("/api/search", upload);
        await ServiceAssert.UntilAsync(service.Client, s => s.SearchesRunning == 1);

        var stop = service.App.StopAsync();
        await Task.Delay(300);
        Assert.False(stop.IsCompleted, "the server stopped with a search in flight");
        upload.Release();

        Assert.Equal(2, (await ServiceAssert.SearchAsync(await search)).Matches[0].Entry);
        await stop;
        await service.DisposeAsync();
    }

    [Fact]
    public async Task BatchedAndUnbatchedSearchesAnswerTheSame()
    {
        await using var batched = await RunningService.StartAsync(fixture.Options with { MaxBatchSize = 8 });
        await using var single = await RunningService.StartAsync(fixture.Options with { MaxBatchSize = 1 });

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var content = () => new ByteArrayContent(File.ReadAllBytes(fixture.Gallery[i].ImagePath)) { Headers = { ContentType = new("image/jpeg") } };
            var a = await ServiceAssert.SearchAsync(await batched.Client.PostAsync("/api/search?top=5", content()));
            var b = await ServiceAssert.SearchAsync(await single.Client.PostAsync("/api/search?top=5", content()));
            return (a, b);
        }));

        foreach (var (a, b) in answers)
        {
            Assert.Equal(b.Matches.Select(m => m.Entry), a.Matches.Select(m => m.Entry));
            Assert.All(a.Matches.Zip(b.Matches), p => Assert.Equal(p.Second.Score, p.First.Score, 1e-4f));
            Assert.All(a.Landmarks.Zip(b.Landmarks), p => Assert.Equal(p.Second.X, p.First.X, 1e-4f));
            Assert.Equal(1, b.Timing.BatchSize);
        }
    }

    [Fact]
    public async Task AnIndexThatCannotBeLoadedLeavesTheServiceAliveButNotReady()
    {
        string missing = fixture.NewPath("missing.fnidx");
        await using var app = SearchService.Create(fixture.Options with { IndexPath = missing });
        await app.StartAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => SearchService.WaitUntilReadyAsync(app));
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var status = (await ready.Content.ReadFromJsonAsync<ServiceStatus>())!;
        Assert.Equal("failed", status.Status);
        Assert.Contains(missing, status.Error);
        using var search = await client.PostAsync("/api/search", new ByteArrayContent(Photo) { Headers = { ContentType = new("image/jpeg") } });
        await ServiceAssert.ErrorAsync(search, HttpStatusCode.ServiceUnavailable, "the service failed to load");
        await app.StopAsync();
    }
}
