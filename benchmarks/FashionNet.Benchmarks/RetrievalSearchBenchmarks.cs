using BenchmarkDotNet.Attributes;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Benchmarks;

/// <summary>
/// Exact search at the size of the official In-shop test split: 14,218 queries against 12,612 gallery images, 512-d,
/// top 50, with each scoring backend.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RetrievalSearchBenchmarks
{
    private const int QueryCount = 14_218;
    private const int GalleryCount = 12_612;
    private const int Dimension = 512;
    private const int Top = 50;

    private Tensor _queries = null!;
    private Tensor _gallery = null!;

    [Params(SimilarityBackend.LibTorch, SimilarityBackend.Managed)]
    public SimilarityBackend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        _queries = randn(QueryCount, Dimension);
        _gallery = randn(GalleryCount, Dimension);
    }

    [Benchmark]
    public NearestNeighbors InShopTestSplit() =>
        SimilaritySearch.Search(_queries, _gallery, Top, new SimilaritySearchOptions { Backend = Backend });

    [GlobalCleanup]
    public void Cleanup()
    {
        _queries.Dispose();
        _gallery.Dispose();
    }
}
