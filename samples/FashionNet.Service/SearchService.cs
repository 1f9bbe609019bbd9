using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FashionNet.Service;

/// <summary>
/// Visual search as a web service: the ASP.NET Core app behind <c>fashionnet serve</c>. It listens at once and loads the
/// model and the index in the background (<c>/readyz</c> says when they are ready), then answers
/// <c>POST /api/search</c> with the gallery's best matches for a photo, its predicted landmarks and categories; serves
/// the gallery's photos (from its root folder only), an item's photos, a web page at <c>/</c> and its OpenAPI document
/// at <c>/openapi.json</c>. Searches are bounded: at most <see cref="SearchServiceOptions.MaxConcurrentSearches"/> run,
/// <see cref="SearchServiceOptions.QueueLimit"/> more wait, the rest get 503 with Retry-After; each request has a time
/// limit (504) and a body size limit (413). Stopping (Ctrl+C, SIGTERM, <c>StopAsync</c>) lets requests in flight finish.
/// </summary>
public static class SearchService
{
    private const string SearchPolicy = "search";
    private const string ArrivalKey = "fashionnet.arrival";
    private const string SearchPath = "/api/search";

    /// <summary>Builds the app; run it with <c>RunAsync</c> (or <c>StartAsync</c> / <c>StopAsync</c>) and dispose it afterwards.</summary>
    /// <param name="options">What to serve and the limits.</param>
    /// <param name="minimumLogLevel">Log messages below this level are dropped (default warnings and errors only).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static WebApplication Create(SearchServiceOptions options, LogLevel minimumLogLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The search reads up to PhotoUpload.DrainAllowance past its own limit, to answer 413 on a clean connection.
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes + PhotoUpload.DrainAllowance;
        });
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton(options);
        // Created by the container so that it is disposed with the host, after the server has drained its requests.
        builder.Services.AddSingleton(_ => new SearchEngine(options));
        builder.Services.AddSingleton<SearchLoad>();
        builder.Services.AddHostedService<EngineLoader>();
        builder.Services.AddRequestTimeouts(timeouts => timeouts.AddPolicy(SearchPolicy, new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = context => WriteError(context, StatusCodes.Status504GatewayTimeout,
                $"the search took longer than the time limit of {options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s."),
        }));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddConcurrencyLimiter(SearchPolicy, concurrency =>
            {
                concurrency.PermitLimit = options.MaxConcurrentSearches;
                concurrency.QueueLimit = options.QueueLimit;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.OnRejected = (rejected, _) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(WriteError(rejected.HttpContext, StatusCodes.Status503ServiceUnavailable,
                    $"busy: {options.MaxConcurrentSearches} searches are running and {options.QueueLimit} waiting; retry after 1 s."));
            };
        });

        var app = builder.Build();
        var load = app.Services.GetRequiredService<SearchLoad>();
        app.Use(HandleErrors);
        app.UseRouting();
        app.UseRequestTimeouts();
        app.UseWhen(context => context.Request.Path == SearchPath, search => search.Use((context, next) => load.InServiceAsync(() => next(context))));
        app.UseRateLimiter();
        MapEndpoints(app, options);
        return app;
    }

    /// <summary>
    /// Completes when the app's model and index are loaded; throws what made loading fail, or
    /// <see cref="OperationCanceledException"/> when the app stops (or <paramref name="cancellationToken"/> fires) first.
    /// </summary>
    /// <param name="app">An app from <see cref="Create"/>, started.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task WaitUntilReadyAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        await app.Services.GetRequiredService<SearchEngine>().WhenLoaded.WaitAsync(either.Token).ConfigureAwait(false);
    }

    /// <summary>The number of gallery entries and the model's fingerprint of a ready app.</summary>
    /// <param name="app">An app whose <see cref="WaitUntilReadyAsync"/> has completed.</param>
    public static (int Entries, string Model) Describe(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var engine = app.Services.GetRequiredService<SearchEngine>();
        return (engine.Catalog?.Count ?? 0, engine.Model);
    }

    private static void MapEndpoints(WebApplication app, SearchServiceOptions options)
    {
        var engine = app.Services.GetRequiredService<SearchEngine>();
        var load = app.Services.GetRequiredService<SearchLoad>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();

        foreach (var (path, resource) in WebAssets.Routes) app.MapGet(path, () => WebAssets.Serve(resource));
        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        app.MapGet("/readyz", () =>
        {
            var status = Status(engine, load, options, lifetime.ApplicationStopping.IsCancellationRequested);
            return Results.Json(status, statusCode: status.Status == "ready" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        Func<HttpContext, Task<IResult>> search = context => load.RunningAsync(() => Search(context, engine, options));
        app.MapPost(SearchPath, search)
            .RequireRateLimiting(SearchPolicy)
            .WithRequestTimeout(SearchPolicy);
        app.MapGet("/api/items/{itemId}", (string itemId) =>
        {
            var catalog = ReadyCatalog(engine);
            var entries = catalog.EntriesOf(itemId) ?? throw new RequestRejectedException(StatusCodes.Status404NotFound, $"item '{itemId}' is not in the gallery.");
            return Results.Json(new ItemResponse(itemId, [.. entries.Select(e => new ItemImage(e, catalog.ImageUrl(e), catalog.Category(e)))]));
        });
        app.MapGet("/api/images/{entry:int}", (int entry) =>
        {
            var file = ReadyCatalog(engine).ServedFile(entry)
                ?? throw new RequestRejectedException(StatusCodes.Status404NotFound, $"entry {entry} has no photo served from the gallery's folder.");
            return File.Exists(file.Path)
                ? Results.File(file.Path, file.ContentType)
                : throw new RequestRejectedException(StatusCodes.Status404NotFound, $"the photo of entry {entry} is missing from the gallery's folder.");
        });
    }

    private static async Task<IResult> Search(HttpContext context, SearchEngine engine, SearchServiceOptions options)
    {
        var query = context.Request.Query;
        int top = options.DefaultTop;
        if (query.TryGetValue("top", out var topText)
            && (!int.TryParse(topText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > options.MaxTop))
            throw new RequestRejectedException(StatusCodes.Status400BadRequest, $"top must be a whole number from 1 to {options.MaxTop}, got '{topText}'.");
        string? category = query.TryGetValue("category", out var categoryText) && !string.IsNullOrWhiteSpace(categoryText) ? categoryText.ToString() : null;
        if (!engine.IsReady) throw NotReady(engine);

        var cancellationToken = context.RequestAborted;
        byte[] photo = await PhotoUpload.ReadAsync(context.Request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        var response = await engine.SearchAsync(photo, top, category, (long)context.Items[ArrivalKey]!, cancellationToken).ConfigureAwait(false);
        return Results.Json(response);
    }

    private static ServiceStatus Status(SearchEngine engine, SearchLoad load, SearchServiceOptions options, bool stopping)
    {
        var catalog = engine.Catalog;
        string status = stopping ? "stopping" : catalog is not null ? "ready" : engine.LoadError is not null ? "failed" : "loading";
        return new ServiceStatus(status, catalog?.Count ?? 0, engine.Model, engine.LoadError, load.Running, load.Waiting, options.MaxTop, options.MaxRequestBytes,
            catalog?.Categories ?? []);
    }

    private static GalleryCatalog ReadyCatalog(SearchEngine engine) => engine.Catalog ?? throw NotReady(engine);

    private static RequestRejectedException NotReady(SearchEngine engine) => new(StatusCodes.Status503ServiceUnavailable, engine.NotReadyMessage);

    /// <summary>Turns refusals into their status and one line of JSON, and anything unexpected into a 500 that names no internals.</summary>
    private static async Task HandleErrors(HttpContext context, RequestDelegate next)
    {
        context.Items[ArrivalKey] = Stopwatch.GetTimestamp();
        context.Response.Headers.XContentTypeOptions = "nosniff";
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (RequestRejectedException e) when (!context.Response.HasStarted)
        {
            if (e.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
            await WriteError(context, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SearchService)).LogError(e, "Request {Path} failed", context.Request.Path);
            await WriteError(context, StatusCodes.Status500InternalServerError, "internal error: the server could not answer this request.").ConfigureAwait(false);
        }
    }

    private static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(status, message));
    }

    /// <summary>Loads the engine in the background once the host has started, so the server answers (readiness included) at once.</summary>
    private sealed class EngineLoader(SearchEngine engine, ILogger<EngineLoader> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    engine.Load();
                }
                catch (Exception e)
                {
                    logger.LogError("Loading the model and the index failed: {Message}", e.Message);
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
