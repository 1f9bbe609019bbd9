using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Tests.Inference;
using static TorchSharp.torch;

namespace FashionNet.Tests.Evaluation;

/// <summary>The one-pass evaluation against the measures computed separately, pass by pass.</summary>
public sealed class DatasetEvaluationTests(InferenceFixture fixture) : IClassFixture<InferenceFixture>
{
    [Fact]
    public void OnePassOfAFashionNetGivesTheRetrievalLandmarksAndGatingOfSeparatePasses()
    {
        using var embedder = fixture.LoadEmbedder();
        var dataset = fixture.Dataset;
        var images = DatasetEvaluation.ImagesOf(dataset, EvaluationProtocol.InShopRetrieval);

        var batching = new EmbeddingOptions { BatchSize = 7 };
        using var result = DatasetEvaluation.Evaluate(embedder, dataset, new DatasetEvaluationOptions { Embedding = batching });

        Assert.Equal(EvaluationProtocol.InShopRetrieval, result.Report.Protocol);
        Assert.Equal([.. fixture.Queries, .. fixture.Gallery], result.Images.All);
        Assert.Equal(embedder.Fingerprint, result.Report.Model);
        // Retrieval, from the embedder's own embedding of the same images in the same batches.
        using var embeddings = ImageEmbedding.EmbedSamples(embedder, dataset, images.All, batching);
        Assert.Equal(embeddings.data<float>().ToArray(), result.Embeddings.data<float>().ToArray());
        var retrieval = BenchmarkEvaluation.InShopRetrieval(dataset, images.All, embeddings);
        Assert.Equal(retrieval.HitRate.ToArray(), result.Report.Retrieval!.HitRate.ToArray());
        Assert.Equal(retrieval.FirstHitRanks.ToArray(), result.Report.Retrieval.FirstHitRanks.ToArray());

        // Landmarks and gating, from a separate prediction pass.
        var loader = FashionNet.Data.Loading.FashionDataLoader.ForEvaluation(dataset, images.All, embedder.ImageSize, embedder.Normalizer, 7);
        using var predictions = DatasetPredictions.Predict(embedder.Model, loader);
        Assert.Equal(BenchmarkEvaluation.Landmarks(dataset, predictions).MeanError, result.Report.Landmarks!.MeanError);
        var gating = result.Report.Gating!;
        float threshold = embedder.Model.Options.VisibilityThreshold;
        for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
        {
            double share = Enumerable.Range(0, images.All.Count).Count(row => predictions.VisibilityProbabilities[row * LandmarkLayout.SlotCount + slot] > threshold)
                / (double)images.All.Count;
            Assert.Equal(share, gating.All.Slots[slot].Share, 12);
        }
        // Per clothes type, the groups partition the images that have one.
        Assert.Equal(dataset.Samples.Where((s, i) => images.All.Contains(i) && s.ClothesType is not null).Count(), gating.ByClothesType.Sum(g => g.ImageCount));
    }

    [Fact]
    public void ABaselineIsMeasuredOnRetrievalOnlyAndRefusedForPredictionBenchmarks()
    {
        using var embedder = fixture.LoadEmbedder();
        using var baseline = new RetrievalOnly(embedder);
        using var result = DatasetEvaluation.Evaluate(baseline, fixture.Dataset);
        Assert.NotNull(result.Report.Retrieval);
        Assert.Null(result.Report.Landmarks);
        Assert.Null(result.Report.Gating);
    }

    /// <summary>An embedder that is not a FashionNet: the evaluation cannot read predictions from it.</summary>
    private sealed class RetrievalOnly(IImageEmbedder inner) : IImageEmbedder
    {
        public string Fingerprint => "retrieval-only:" + inner.Fingerprint;
        public int ImageSize => inner.ImageSize;
        public FashionNet.Data.Imaging.IImageNormalizer Normalizer => inner.Normalizer;
        public int Dimension => inner.Dimension;
        public string? ModelPath => null;
        public Tensor Embed(Tensor images) => inner.Embed(images);
        public void Dispose()
        {
        }
    }
}
