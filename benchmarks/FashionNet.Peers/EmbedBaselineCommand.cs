using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// <c>embed-baseline</c>: images per second embedding the In-shop sample's test photos (query, then gallery), decoding
/// included, with the library's ImageNet baseline (<see cref="ImageNetBaselineEmbedder"/> through
/// <see cref="ImageEmbedding.EmbedSamples"/>) against ONNX Runtime on the same ONNX files (<see cref="OnnxRuntimeBaseline"/>).
/// The library runs with its default memory format and with <see cref="TensorMemoryFormat.ChannelsLast"/> around
/// ONNX Runtime's run, then through its own ONNX Runtime path (<see cref="OnnxBaselineEmbedder"/>: the same network
/// exported by the library, batched). Each library variant must first give ONNX Runtime's embeddings on the first batch
/// (max absolute difference within the tolerance). Prints <c>ratio embed-baseline: X</c>,
/// <c>ratio embed-baseline-channels-last: X</c> and <c>ratio embed-baseline-onnx: X</c> (above 1: the library is faster).
/// </summary>
internal static class EmbedBaselineCommand
{
    public const string Usage = "--out DIR " + EmbeddingWorkload.Usage;

    public static int Run(PeerArguments args)
    {
        string output = PeerFiles.OutputDirectory(args.Required("out"));
        var workload = EmbeddingWorkload.Read(args);
        var (dataset, images, options, tolerance) = workload;
        var first = workload.CheckBatch;
        using var contiguous = ImageNetBaselineEmbedder.Load();
        using var channelsLast = ImageNetBaselineEmbedder.Load(options: new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast });
        // LibTorch's OpenMP threads sleep while waiting unless OMP_WAIT_POLICY says ACTIVE; ONNX Runtime's do the same.
        using var onnx = new OnnxRuntimeBaseline(get_num_threads(), PeerEnvironment.LibTorchSpins);
        using var libraryOnnx = OnnxBaselineEmbedder.Load(options: PeerEnvironment.OnnxRuntimeLikeLibTorch());

        var differences = new Dictionary<string, float>();
        using (var peer = onnx.EmbedSamples(dataset, first, options))
        {
            foreach (var (name, embedder) in new IImageEmbedder[] { contiguous, channelsLast, libraryOnnx }.Zip(["contiguous", "channels-last", "ONNX Runtime"], (e, n) => (n, e)))
            {
                using var library = ImageEmbedding.EmbedSamples(embedder, dataset, first, options);
                differences[name] = (library - peer).abs().max().item<float>();
                Console.Error.WriteLine($"embed-baseline: max |FashionNet.Core ({name}) - ONNX Runtime| = {differences[name]:E3} over {first.Length} images (tolerance {tolerance:E1})");
            }
        }
        if (!differences.Values.All(d => d <= tolerance))
        {
            Console.Error.WriteLine("embed-baseline: the embeddings differ beyond the tolerance; no timing taken.");
            return 2;
        }

        double contiguousSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(contiguous, dataset, images, options));
        double peerSeconds = PeerStatistics.Seconds(() => onnx.EmbedSamples(dataset, images, options));
        double channelsLastSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(channelsLast, dataset, images, options));
        double libraryOnnxSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(libraryOnnx, dataset, images, options));
        PeerFiles.WriteJson(Path.Combine(output, "embed-baseline.json"), new
        {
            Images = images.Length,
            BatchSize = workload.BatchSize,
            Workers = workload.Workers,
            MaxAbsDifferences = differences,
            Tolerance = tolerance,
            Library = Side("FashionNet.Core ImageNetBaselineEmbedder", images.Length, contiguousSeconds),
            LibraryChannelsLast = Side("FashionNet.Core ImageNetBaselineEmbedder, MemoryFormat = ChannelsLast", images.Length, channelsLastSeconds),
            LibraryOnnxRuntime = Side($"FashionNet.Core OnnxBaselineEmbedder (batch {workload.BatchSize}, {libraryOnnx.Options.Threads} threads)", images.Length, libraryOnnxSeconds),
            Peer = new
            {
                Side = $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} (batch 1: the graphs fix it)",
                onnx.Threads,
                onnx.Spinning,
                Seconds = peerSeconds,
                ImagesPerSecond = images.Length / peerSeconds,
            },
            Ratio = peerSeconds / contiguousSeconds,
            RatioChannelsLast = peerSeconds / channelsLastSeconds,
            RatioOnnxRuntime = peerSeconds / libraryOnnxSeconds,
            Environment = PeerEnvironment.Describe(),
        });
        Console.Error.WriteLine($"embed-baseline: FashionNet.Core {images.Length / contiguousSeconds:F2} images/s ({images.Length / channelsLastSeconds:F2} channels-last, " +
            $"{images.Length / libraryOnnxSeconds:F2} through its ONNX Runtime path), " +
            $"ONNX Runtime {images.Length / peerSeconds:F2} images/s ({images.Length} images)");
        Console.WriteLine($"ratio embed-baseline: {peerSeconds / contiguousSeconds:F3}");
        Console.WriteLine($"ratio embed-baseline-channels-last: {peerSeconds / channelsLastSeconds:F3}");
        Console.WriteLine($"ratio embed-baseline-onnx: {peerSeconds / libraryOnnxSeconds:F3}");
        return 0;
    }

    private static object Side(string name, int images, double seconds) => new { Side = name, Seconds = seconds, ImagesPerSecond = images / seconds };
}
