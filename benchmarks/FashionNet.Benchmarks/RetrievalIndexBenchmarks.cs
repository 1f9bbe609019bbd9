using BenchmarkDotNet.Attributes;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Benchmarks;

/// <summary>
/// Searching a memory-mapped retrieval index the size of the In-shop gallery (12,612 entries, 512-d), top 10, for
/// batches of queries of several sizes with each scoring backend: where <see cref="SimilarityBackend.Auto"/> should
/// switch from managed dot products to LibTorch matrix products.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class RetrievalIndexBenchmarks
{
    private RetrievalIndexFixture _fixture = null!;
    private Tensor _queries = null!;

    [Params(1, 16, 64, 256)]
    public int QueryCount { get; set; }

    [Params(SimilarityBackend.LibTorch, SimilarityBackend.Managed)]
    public SimilarityBackend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new RetrievalIndexFixture();
        _queries = randn(QueryCount, RetrievalIndexFixture.Dimension);
    }

    [Benchmark]
    public IReadOnlyList<IReadOnlyList<RetrievalMatch>> Search() =>
        _fixture.Index.Search(_queries, 10, new SimilaritySearchOptions { Backend = Backend });

    [GlobalCleanup]
    public void Cleanup()
    {
        _queries.Dispose();
        _fixture.Dispose();
    }
}

/// <summary>Opening an In-shop-gallery-sized index, which maps it and verifies every section checksum.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class RetrievalIndexOpenBenchmarks
{
    private RetrievalIndexFixture _fixture = null!;

    [GlobalSetup]
    public void Setup() => _fixture = new RetrievalIndexFixture();

    [Benchmark]
    public int OpenAndVerify()
    {
        using var index = RetrievalIndex.Open(_fixture.Path);
        return index.Count;
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();
}

/// <summary>A temporary index of 12,612 random 512-d embeddings with In-shop-like ids and paths.</summary>
internal sealed class RetrievalIndexFixture : IDisposable
{
    public const int GalleryCount = 12_612;
    public const int Dimension = 512;

    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-index-bench-").FullName;

    public RetrievalIndexFixture()
    {
        manual_seed(0);
        Path = System.IO.Path.Combine(_directory, "gallery.fnidx");
        using (var gallery = randn(GalleryCount, Dimension))
        {
            RetrievalIndex.Create(Path, new RetrievalIndexContent("benchmark-model", Dimension, gallery.data<float>().ToArray(),
                [.. Enumerable.Range(0, GalleryCount).Select(i => $"id_{i / 3:D8}")],
                [.. Enumerable.Range(0, GalleryCount).Select(i => $"img/WOMEN/Dresses/id_{i / 3:D8}/{i % 3:D2}_1_front.jpg")]));
        }

        Index = RetrievalIndex.Open(Path);
    }

    public string Path { get; }

    public RetrievalIndex Index { get; }

    public void Dispose()
    {
        Index.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
