using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FashionNet.Diagnostics;
using FashionNet.Retrieval;
using FashionNet.Service;

// The service under load: for each batch size, the real app on Kestrel at a free 127.0.0.1 port, searched with the
// index's own gallery photos (raw JPEG bodies) by a fixed number of concurrent clients, bounded in count and time.
// Usage: FashionNet.ServiceLoad --index FILE [--requests 2000] [--concurrency 8] [--batch 1,8] [--time-limit 600]
TorchThreading.PreferPassiveWaiting();
var arguments = Arguments.Parse(args);
using var index = RetrievalIndex.Open(arguments.IndexPath);
var photos = Enumerable.Range(0, index.Count).Select(i => (Bytes: File.ReadAllBytes(index.GetImagePath(i)), Item: index.GetItemId(i))).ToArray();
index.Dispose();
Console.WriteLine($"index {arguments.IndexPath}: {photos.Length} gallery photos; {arguments.Requests} searches at concurrency {arguments.Concurrency}, " +
    $"time limit {arguments.TimeLimit.TotalSeconds} s per run; server and clients in this process, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| batch | searches | errors | own item first | throughput (searches/s) | p50 ms | p95 ms | p99 ms | mean batch | RSS start MiB | RSS max MiB | RSS end MiB | wall s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (int batch in arguments.BatchSizes)
{
    var options = new SearchServiceOptions
    {
        IndexPath = arguments.IndexPath,
        Urls = ["http://127.0.0.1:0"],
        MaxBatchSize = batch,
        MaxConcurrentSearches = arguments.Concurrency,
    };
    await using var app = SearchService.Create(options);
    await app.StartAsync();
    await SearchService.WaitUntilReadyAsync(app);
    using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };

    await Run(client, photos, Math.Min(40, arguments.Requests), arguments.Concurrency, arguments.TimeLimit);
    long rssStart = ResidentBytes(), rssMax = rssStart;
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            rssMax = Math.Max(rssMax, ResidentBytes());
            await Task.Delay(250);
        }
    });
    var result = await Run(client, photos, arguments.Requests, arguments.Concurrency, arguments.TimeLimit);
    long rssEnd = ResidentBytes();
    sampling.Cancel();
    await sampler;
    await app.StopAsync();

    var sorted = result.Latencies.Order().ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {batch} | {result.Latencies.Count} | {result.Errors} | {result.OwnItemFirst} | {result.Latencies.Count / result.Wall.TotalSeconds:0.0} | " +
        $"{Percentile(sorted, 0.50):0.0} | {Percentile(sorted, 0.95):0.0} | {Percentile(sorted, 0.99):0.0} | {result.MeanBatch:0.00} | " +
        $"{rssStart / 1048576.0:0} | {Math.Max(rssMax, rssEnd) / 1048576.0:0} | {rssEnd / 1048576.0:0} | {result.Wall.TotalSeconds:0.0} |"));
}

static async Task<RunResult> Run(HttpClient client, (byte[] Bytes, string Item)[] photos, int requests, int concurrency, TimeSpan timeLimit)
{
    var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
    int next = -1, errors = 0, ownFirst = 0;
    long batchSum = 0;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests && clock.Elapsed < timeLimit)
        {
            var (bytes, item) = photos[i % photos.Length];
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            long start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.PostAsync("/api/search?top=10", content);
                var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<SearchResponse>() : null;
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (answer is null)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }
                if (answer.Matches[0].ItemId == item) Interlocked.Increment(ref ownFirst);
                Interlocked.Add(ref batchSum, answer.Timing.BatchSize);
            }
            catch (HttpRequestException)
            {
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref errors);
            }
        }
    }).ToArray();
    await Task.WhenAll(workers);
    int succeeded = latencies.Count - errors;
    return new RunResult([.. latencies], errors, ownFirst, succeeded > 0 ? (double)batchSum / succeeded : 0, clock.Elapsed);
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

// VmRSS of this process (server and clients), from /proc.
static long ResidentBytes()
{
    foreach (string line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    return 0;
}

internal sealed record RunResult(List<double> Latencies, int Errors, int OwnItemFirst, double MeanBatch, TimeSpan Wall);

internal sealed record Arguments(string IndexPath, int Requests, int Concurrency, int[] BatchSizes, TimeSpan TimeLimit)
{
    public static Arguments Parse(string[] args)
    {
        string? indexPath = null;
        int requests = 2000, concurrency = 8;
        int[] batches = [1, 8];
        double timeLimit = 600;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--index": indexPath = value; break;
                case "--requests": requests = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--batch": batches = [.. value.Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))]; break;
                case "--time-limit": timeLimit = double.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
            i++;
        }
        if (indexPath is null) throw new ArgumentException("--index FILE is required.");
        if (requests < 1 || concurrency < 1 || batches.Any(b => b < 1) || !(timeLimit > 0)) throw new ArgumentException("Counts and the time limit must be positive.");
        return new Arguments(indexPath, requests, concurrency, batches, TimeSpan.FromSeconds(timeLimit));
    }
}
