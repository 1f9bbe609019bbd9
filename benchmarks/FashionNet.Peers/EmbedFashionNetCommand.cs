using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// <c>embed-fashionnet</c>: images per second embedding the In-shop sample's test photos (query, then gallery), decoding
/// included, with a trained FashionNet (<see cref="FashionNetEmbedder.FromCheckpoint"/> through
/// <see cref="ImageEmbedding.EmbedSamples"/>), with the default memory format, with
/// <see cref="TensorMemoryFormat.ChannelsLast"/>, and exported to ONNX Runtime (<see cref="OnnxFashionNetEmbedder"/>,
/// whose embeddings of the check batch must be within the tolerance of the default's before it is timed), and through
/// ONNX Runtime in int8 (<see cref="PeerData.Int8Embedder"/>, calibrated on training photos; its embeddings' smallest
/// cosine to the default's on the check batch is recorded, retrieval quality is <c>recall</c>'s check). Writes for the PyTorch side the checkpoint's weights and normalization,
/// the image list, and one batch of preprocessed images with this side's embeddings, landmarks and visibility logits,
/// which the PyTorch module must reproduce before it is timed.
/// </summary>
internal static class EmbedFashionNetCommand
{
    public const string Usage = "--out DIR --checkpoint FILE " + EmbeddingWorkload.Usage;

    public static int Run(PeerArguments args)
    {
        string output = PeerFiles.OutputDirectory(args.Required("out"));
        string checkpoint = args.File("checkpoint");
        var workload = EmbeddingWorkload.Read(args);
        var (dataset, images, options, tolerance) = workload;
        using var contiguous = FashionNetEmbedder.FromCheckpoint(checkpoint);
        using var channelsLast = FashionNetEmbedder.FromCheckpoint(checkpoint, new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast });
        using var onnx = OnnxFashionNetEmbedder.FromEmbedder(contiguous, PeerEnvironment.OnnxRuntimeLikeLibTorch());
        using var int8 = PeerData.Int8Embedder(contiguous, dataset, PeerEnvironment.OnnxRuntimeLikeLibTorch());
        var description = ModelDescription.Of(contiguous.Model);
        ModelExport.WriteStateDict(Path.Combine(output, "state.pt"), contiguous.Model);
        ModelExport.WriteNormalizer(Path.Combine(output, "normalizer.pt"), contiguous.Normalizer);
        var (channelsLastDifference, onnxDifference, int8Cosine) = WriteCheckBatch(Path.Combine(output, "check.pt"), contiguous, channelsLast, onnx, int8, dataset, workload.CheckBatch);
        Console.Error.WriteLine($"embed-fashionnet: smallest cosine of FashionNet.Core (ONNX Runtime int8) to FashionNet.Core (LibTorch) embeddings = {int8Cosine:F4}");
        Console.Error.WriteLine($"embed-fashionnet: max |FashionNet.Core (ONNX Runtime) - FashionNet.Core (LibTorch)| embedding = {onnxDifference:E3} (tolerance {tolerance:E1})");
        if (onnxDifference > tolerance)
        {
            Console.Error.WriteLine("embed-fashionnet: the ONNX Runtime embedder differs beyond the tolerance; no timing taken.");
            return 2;
        }

        double contiguousSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(contiguous, dataset, images, options));
        double channelsLastSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(channelsLast, dataset, images, options));
        double onnxSeconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(onnx, dataset, images, options));
        double int8Seconds = PeerStatistics.Seconds(() => ImageEmbedding.EmbedSamples(int8, dataset, images, options));
        PeerFiles.WriteJson(Path.Combine(output, "dotnet.json"), new
        {
            Side = "FashionNet.Core FashionNetEmbedder",
            Checkpoint = Path.GetFullPath(checkpoint),
            Model = description,
            Paths = images.Select(i => dataset.ImageFullPath(dataset.Samples[i])),
            BatchSize = workload.BatchSize,
            Workers = workload.Workers,
            Seconds = contiguousSeconds,
            ImagesPerSecond = images.Length / contiguousSeconds,
            ChannelsLastSeconds = channelsLastSeconds,
            ChannelsLastImagesPerSecond = images.Length / channelsLastSeconds,
            ChannelsLastMaxAbsDifference = channelsLastDifference,
            OnnxRuntimeSeconds = onnxSeconds,
            OnnxRuntimeImagesPerSecond = images.Length / onnxSeconds,
            OnnxRuntimeMaxAbsDifference = onnxDifference,
            OnnxRuntimeThreads = onnx.Options.Threads,
            OnnxRuntimeInt8Seconds = int8Seconds,
            OnnxRuntimeInt8ImagesPerSecond = images.Length / int8Seconds,
            OnnxRuntimeInt8MinCosine = int8Cosine,
            CalibrationImages = OnnxInt8Calibration.DefaultImageCount,
            Environment = PeerEnvironment.Describe(),
        });
        Console.Error.WriteLine($"embed-fashionnet: FashionNet.Core {images.Length / contiguousSeconds:F2} images/s, " +
            $"{images.Length / channelsLastSeconds:F2} channels-last (embeddings within {channelsLastDifference:E2} of the default's), " +
            $"{images.Length / onnxSeconds:F2} through ONNX Runtime, {images.Length / int8Seconds:F2} through ONNX Runtime in int8, {images.Length} images");
        return 0;
    }

    /// <summary>
    /// The first images as the embedder's loader prepares them, with the model's eval-mode outputs on them; returns how
    /// far the channels-last and the ONNX Runtime embedders' embeddings of them are from the default's, and the smallest
    /// cosine of the int8 embeddings to the default's.
    /// </summary>
    private static (float ChannelsLast, float Onnx, float Int8Cosine) WriteCheckBatch(string path, FashionNetEmbedder embedder, FashionNetEmbedder channelsLast,
        OnnxFashionNetEmbedder onnx, OnnxFashionNetEmbedder int8, FashionDataset dataset, int[] indices)
    {
        var loader = FashionDataLoader.ForEvaluation(dataset, indices, embedder.ImageSize, embedder.Normalizer, indices.Length);
        using var batch = loader.ReadEpoch(0).Single();
        using var noGrad = no_grad();
        using var output = embedder.Model.call(batch.Images, null);
        PeerFiles.WriteTensors(path, new Dictionary<string, Tensor>
        {
            ["images"] = batch.Images,
            ["embedding"] = output.Embedding,
            ["landmarks"] = output.Landmarks,
            ["visibility_logits"] = output.VisibilityLogits,
        });
        using var relaid = channelsLast.Embed(batch.Images);
        using var exported = onnx.Embed(batch.Images);
        using var quantized = int8.Embed(batch.Images);
        using var cosines = (quantized * output.Embedding).sum(1);
        return ((relaid - output.Embedding).abs().max().item<float>(), (exported - output.Embedding).abs().max().item<float>(), cosines.min().item<float>());
    }
}
