using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;

namespace FashionNet.Benchmarks;

/// <summary>
/// Throughput of the image pipeline on real DeepFashion In-shop JPEGs (256x256) from ../shared/data: decode, crop,
/// resize to 224, random flip/jitter, ImageNet normalization and batching into tensors, 256 images in batches of 32.
/// Images per second = 256 / (mean time per operation).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 12)]
[MinColumn, MedianColumn]
public class ImagePipelineBenchmarks
{
    private const int Images = 256;
    private FashionDataset _dataset = null!;
    private ImageDecoder _decoder = null!;

    /// <summary>Background workers of the loader.</summary>
    [Params(1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = SharedDataRoot("deepfashion-inshop-sample");
        _dataset = DeepFashionReader.Read(root, DeepFashionFormat.InShop, new ReaderOptions { CheckImageFiles = false });
        _decoder = new ImageDecoder();
    }

    [Benchmark(Description = "train pipeline, 256 images at 224")]
    public long TrainingPipeline()
    {
        var loader = new FashionDataLoader(_dataset, new SequentialBatchSampler(Enumerable.Range(0, Images).ToArray(), 32),
            ImageTransform.Training(224), ChannelNormalizer.ImageNet, new DataLoaderOptions { Workers = Workers, Seed = 1 }, _decoder);
        long elements = 0;
        foreach (FashionBatch batch in loader.ReadEpoch(0))
            using (batch)
                elements += batch.Images.numel();
        return elements;
    }

    [Benchmark(Description = "decode only, 256 images, one thread")]
    public long DecodeOnly()
    {
        long pixels = 0;
        for (int i = 0; i < Images; i++)
        {
            using var image = _decoder.Decode(_dataset.ImageFullPath(_dataset.Samples[i]));
            pixels += image.Width * image.Height;
        }

        return pixels;
    }

    private static string SharedDataRoot(string dataset)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("FASHIONNET_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.Combine(fromEnvironment, dataset);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "..", "shared", "data", dataset);
            if (File.Exists(Path.Combine(dir.FullName, "FashionNet.Core.sln")) && Directory.Exists(candidate)) return candidate;
        }

        throw new DirectoryNotFoundException(
            $"Real dataset '{dataset}' not found: this benchmark needs ../shared/data beside the repository (or FASHIONNET_SHARED_DATA).");
    }
}
