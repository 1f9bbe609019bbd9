using FashionNet.Data.Imaging;
using FashionNet.Inference;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Tests.Inference;

/// <summary>Indexes record the checkpoint that built them, so searching needs no --checkpoint; and the one-photo prediction.</summary>
public sealed class ModelPathTests(InferenceFixture fixture) : IClassFixture<InferenceFixture>
{
    private string GalleryPath(int position) => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[fixture.Gallery[position]]);

    [Fact]
    public void AnIndexRecordsItsCheckpointAndLoadsItsEmbedderFromIt()
    {
        using var embedder = fixture.LoadEmbedder();
        string indexPath = fixture.NewPath("recorded.idx");
        VisualSearch.BuildIndex(indexPath, embedder, [new GalleryImage(GalleryPath(0), "a"), new GalleryImage(GalleryPath(1), "b")]);

        using (var index = RetrievalIndex.Open(indexPath)) Assert.Equal(Path.GetFullPath(fixture.CheckpointPath), index.ModelPath);
        using var loaded = VisualSearch.LoadEmbedderFor(indexPath);
        Assert.Equal(embedder.Fingerprint, loaded.Fingerprint);
        using var search = VisualSearch.Open(indexPath, loaded);
        Assert.Equal("b", search.Query(GalleryPath(1), top: 1)[0].ItemId);
    }

    [Fact]
    public void AMissingRecordedCheckpointIsNamed()
    {
        string checkpoint = fixture.SaveCheckpoint(fixture.Recipe, seed: 5);
        string indexPath = fixture.NewPath("orphan.idx");
        using (var embedder = FashionNetEmbedder.FromCheckpoint(checkpoint))
            VisualSearch.BuildIndex(indexPath, embedder, [new GalleryImage(GalleryPath(0), "a")]);
        File.Delete(checkpoint);

        var error = Assert.Throws<FileNotFoundException>(() => VisualSearch.LoadEmbedderFor(indexPath));

        Assert.Contains(checkpoint, error.Message);
        Assert.Contains("no longer exists", error.Message);
    }

    [Fact]
    public void PredictionsHoldTheEmbeddingEveryLandmarkAndTheTopCategories()
    {
        using var embedder = fixture.LoadEmbedder();
        using var decoded = new ImageDecoder().Decode(GalleryPath(2));
        var prepared = PreparedImage.From(decoded, embedder.ImageSize, embedder.Normalizer);
        using var images = tensor(prepared.Pixels).view(1, 3, embedder.ImageSize, embedder.ImageSize);

        var prediction = Assert.Single(embedder.Predict(images, topCategories: 3));

        Assert.Equal(ImageEmbedding.EmbedImage(embedder, GalleryPath(2)), prediction.Embedding, (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal(8, prediction.Landmarks.Count);
        Assert.Equal(Enumerable.Range(0, 8), prediction.Landmarks.Select(l => (int)l.Slot));
        Assert.All(prediction.Landmarks, l => Assert.True(l.X is > 0 and < 1 && l.Y is > 0 and < 1 && l.Visible == l.VisibilityProbability > 0.5f));
        Assert.Equal(Math.Min(3, fixture.Recipe.CategoryCount), prediction.TopCategories.Count);
        Assert.True(prediction.TopCategories.Zip(prediction.TopCategories.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
        Assert.All(prediction.TopCategories, c => Assert.InRange(c.Label, 1, fixture.Recipe.CategoryCount));
    }

    [Fact]
    public void PreparedPhotosPlaceInputPointsOnThePhoto()
    {
        // A 40 x 20 photo framed square: the input shows a 40 x 40 square around it, padded above and below.
        using var photo = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(40, 20);
        var prepared = PreparedImage.From(photo, 16, normalizer: null);

        Assert.Equal(new ImageSize(40, 20), prepared.SourceSize);
        var (centerX, centerY) = prepared.ToSource(7.5f / 16, 7.5f / 16);
        Assert.Equal(0.5f, centerX, 1e-5f);
        Assert.Equal(0.5f, centerY, 1e-5f);
        var (_, top) = prepared.ToSource(7.5f / 16, -0.5f / 16);
        Assert.Equal(-0.5f, top, 1e-5f);
    }
}
