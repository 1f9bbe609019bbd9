using Microsoft.AspNetCore.Builder;

namespace FashionNet.Service.Tests;

/// <summary>The real app on Kestrel at a free 127.0.0.1 port, with a client for it; stopped and disposed at the end.</summary>
public sealed class RunningService : IAsyncDisposable
{
    private RunningService(WebApplication app)
    {
        App = app;
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>Starts the app and waits until its model and index are loaded.</summary>
    public static async Task<RunningService> StartAsync(SearchServiceOptions options)
    {
        var app = SearchService.Create(options);
        await app.StartAsync();
        try
        {
            await SearchService.WaitUntilReadyAsync(app);
            return new RunningService(app);
        }
        catch
        {
            await app.StopAsync();
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
