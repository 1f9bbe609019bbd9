using System.CommandLine;
using FashionNet.Service;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace FashionNet.Cli.Commands;

/// <summary>
/// <c>fashionnet serve</c>: visual search over HTTP (<see cref="SearchService"/>): loads the model and the index once,
/// then answers searches, serves the gallery's photos, a web page and the OpenAPI document until Ctrl+C or SIGTERM,
/// which let the requests in flight finish. Binds to loopback unless told otherwise.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new SearchServiceOptions { IndexPath = "-" };
        var index = new Option<FileInfo>("--index") { Description = "The index file (from fashionnet index or demo).", Required = true };
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "The checkpoint the index was built with (default: the one the index records)." };
        var urls = new Option<string>("--urls") { Description = "Where to listen, ';'-separated.", DefaultValueFactory = _ => SearchServiceOptions.DefaultUrl };
        var galleryRoot = new Option<DirectoryInfo>("--gallery-root") { Description = "The only folder gallery photos are served from (default: the deepest folder holding them all)." };
        var batch = new Option<int>("--batch") { Description = "Most photos of concurrent searches embedded in one forward pass (1: one pass per search).", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var concurrency = new Option<int>("--concurrency") { Description = "Searches worked on at once.", DefaultValueFactory = _ => defaults.MaxConcurrentSearches };
        var queue = new Option<int>("--queue") { Description = "Searches that may wait for a slot; more are answered 503.", DefaultValueFactory = _ => defaults.QueueLimit };
        var timeout = new Option<double>("--timeout") { Description = "Time limit of one request in seconds (504 beyond).", DefaultValueFactory = _ => defaults.RequestTimeout.TotalSeconds };
        var maxUpload = new Option<long>("--max-upload") { Description = "Largest request body in bytes (413 beyond).", DefaultValueFactory = _ => defaults.MaxRequestBytes };
        var maxTop = new Option<int>("--max-top") { Description = "Most matches one search may ask for.", DefaultValueFactory = _ => defaults.MaxTop };
        var device = DeviceOption.Create();
        var runtime = RuntimeOption.Create();
        var calibration = RuntimeOption.CreateCalibration();
        var command = new Command("serve", "Serve visual search over HTTP: a JSON API with its OpenAPI document, the gallery's photos and a web page.")
        {
            index, checkpoint, urls, galleryRoot, batch, concurrency, queue, timeout, maxUpload, maxTop, device, runtime, calibration,
        };
        command.SetAction(parse =>
        {
            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds)) throw new ArgumentException("--timeout must be a positive number of seconds.");
            var options = new SearchServiceOptions
            {
                IndexPath = parse.GetValue(index)!.FullName,
                CheckpointPath = parse.GetValue(checkpoint)?.FullName,
                Urls = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                GalleryRoot = parse.GetValue(galleryRoot)?.FullName,
                MaxBatchSize = parse.GetValue(batch),
                MaxConcurrentSearches = parse.GetValue(concurrency),
                QueueLimit = parse.GetValue(queue),
                RequestTimeout = TimeSpan.FromSeconds(seconds),
                MaxRequestBytes = parse.GetValue(maxUpload),
                MaxTop = parse.GetValue(maxTop),
                Device = DeviceOption.Get(parse, device),
                Embedders = RuntimeOption.Loader(parse, runtime, device, calibration),
            };
            return Serve(options);
        });
        return command;
    }

    private static int Serve(SearchServiceOptions options)
    {
        using var app = SearchService.Create(options);
        app.Start();
        try
        {
            SearchService.WaitUntilReadyAsync(app).GetAwaiter().GetResult();
        }
        catch
        {
            app.StopAsync().GetAwaiter().GetResult();
            throw;
        }

        var (entries, model) = SearchService.Describe(app);
        AnsiConsole.MarkupLineInterpolated($"serving [bold]{entries:N0}[/] gallery photos of {options.IndexPath} ({model})");
        foreach (string url in app.Urls) AnsiConsole.MarkupLineInterpolated($"  page [bold]{url}/[/]  API {url}/openapi.json");
        AnsiConsole.MarkupLine("Ctrl+C stops, after the searches in flight have finished.");
        app.WaitForShutdown();
        AnsiConsole.MarkupLine("stopped.");
        return 0;
    }
}
