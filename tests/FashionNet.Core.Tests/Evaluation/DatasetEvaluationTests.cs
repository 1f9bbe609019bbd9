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
            double share = Enumerable.Range(0, images.All.Count).Count(row => predictions.Landmarks.VisibilityProbabilities[row * LandmarkLayout.SlotCount + slot] > threshold)
                / (double)images.All.Count;
            Assert.Equal(share, gating.All.Slots[slot].Share, 12);
        }
        // Per clothes type, the groups partition the images that have one.
        Assert.Equal(dataset.Samples.Where((s, i) => images.All.Contains(i) && s.ClothesType is not null).Count(), gating.ByClothesType.Sum(g => g.ImageCount));

        // Feature activity, counted unit by unit from the model's own features of the same images.
        var features = result.Report.Features!;
        var (global, local) = Features(embedder.Model, dataset, images.All, embedder);
        AssertActivity(global, features.Global);
        AssertActivity(local, features.Local!);
    }

    private static (float[][] Global, float[][] Local) Features(FashionNet.Model.FashionNetModel model, FashionDataset dataset, IReadOnlyList<int> rows,
        FashionNetEmbedder embedder)
    {
        var global = new List<float[]>();
        var local = new List<float[]>();
        var loader = FashionNet.Data.Loading.FashionDataLoader.ForEvaluation(dataset, rows, embedder.ImageSize, embedder.Normalizer, 5);
        using var noGrad = no_grad();
        model.eval();
        BatchInference.Run(loader, batch =>
        {
            using var output = model.call(batch.Images, null);
            for (int i = 0; i < batch.Count; i++)
            {
                global.Add(output.GlobalFeature[i].data<float>().ToArray());
                local.Add(output.LocalFeature[i].data<float>().ToArray());
            }
        }, CancellationToken.None);
        return ([.. global], [.. local]);
    }

    private static void AssertActivity(float[][] rows, FeatureActivity activity)
    {
        int units = rows[0].Length;
        Assert.Equal(units, activity.Units);
        Assert.Equal(rows.Average(row => row.Count(v => v > 0)), activity.ActivePerImage, 9);
        Assert.Equal(Enumerable.Range(0, units).Count(unit => rows.All(row => row[unit] <= 0)), activity.NeverActive);
        Assert.True(activity.ActivePerImage > 0 && activity.ActivePerImage < units, "the case should have units both firing and not");
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
        Assert.Null(result.Report.Features);
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
