using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Tests.TestSupport;
using TorchSharp;

namespace FashionNet.Tests.Data.Loading;

public sealed class FashionDataLoaderTests(SyntheticFixture fixture) : IClassFixture<SyntheticFixture>
{
    private const int Size = 32;

    private FashionDataset InShop => DeepFashionReader.Read(fixture.Layout.InShop, DeepFashionFormat.InShop);

    private static FashionDataLoader EvaluationLoader(FashionDataset dataset, int batchSize, int workers, int prefetch = 2) =>
        FashionDataLoader.ForEvaluation(dataset, Enumerable.Range(0, dataset.Samples.Count).ToArray(), Size, ChannelNormalizer.ImageNet, batchSize,
            new DataLoaderOptions { Workers = workers, Prefetch = prefetch });

    private static float[] Floats(torch.Tensor t) => t.data<float>().ToArray();

    private static List<(int[] Samples, float[] Images, float[] Landmarks, bool[] Visible)> Collect(IEnumerable<FashionBatch> batches)
    {
        var collected = new List<(int[], float[], float[], bool[])>();
        foreach (FashionBatch batch in batches)
            using (batch)
                collected.Add(([.. batch.SampleIndices], Floats(batch.Images), Floats(batch.Landmarks.Positions), batch.Landmarks.Visible.data<bool>().ToArray()));
        return collected;
    }

    [Fact]
    public void Batch_tensors_have_the_documented_shapes_types_and_values()
    {
        FashionDataset dataset = InShop;
        var transform = ImageTransform.Evaluation(Size);
        var loader = new FashionDataLoader(dataset, new SequentialBatchSampler([0, 1, 2, 3, 4], 5), transform, normalizer: null);
        using FashionBatch batch = loader.LoadBatch([4, 1, 7], epoch: 0, batchIndex: 0);

        Assert.Equal(new long[] { 3, 3, Size, Size }, batch.Images.shape);
        Assert.Equal(torch.ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(new long[] { 3, 8, 2 }, batch.Landmarks.Positions.shape);
        Assert.Equal(torch.ScalarType.Float32, batch.Landmarks.Positions.dtype);
        Assert.Equal(new long[] { 3, 8 }, batch.Landmarks.Visible.shape);
        Assert.Equal(torch.ScalarType.Bool, batch.Landmarks.Visible.dtype);
        Assert.Equal(new long[] { 3, 8 }, batch.Landmarks.Labelled.shape);
        Assert.Equal(torch.ScalarType.Bool, batch.Landmarks.Labelled.dtype);
        Assert.Equal(new BatchLabelCounts(Landmarks: 3, Categories: 0, Attributes: 3, Items: 3), batch.LabelCounts);
        Assert.Equal(new long[] { 3 }, batch.ItemIndices.shape);
        Assert.Equal(torch.ScalarType.Int64, batch.ItemIndices.dtype);
        Assert.Equal(new long[] { 3, dataset.Attributes.Count }, batch.Attributes.shape);
        Assert.Equal(new long[] { 3, dataset.Attributes.Count }, batch.AttributeMask.shape);

        float[] images = Floats(batch.Images), landmarks = Floats(batch.Landmarks.Positions);
        long[] items = batch.ItemIndices.data<long>().ToArray(), categories = batch.Categories.data<long>().ToArray();
        bool[] visible = batch.Landmarks.Visible.data<bool>().ToArray(), labelled = batch.Landmarks.Labelled.data<bool>().ToArray();
        float[] attributes = Floats(batch.Attributes), mask = Floats(batch.AttributeMask);
        int a = dataset.Attributes.Count;
        int[] indices = [4, 1, 7];
        for (int i = 0; i < 3; i++)
        {
            FashionSample sample = dataset.Samples[indices[i]];
            using var image = new ImageDecoder().Decode(dataset.ImageFullPath(sample));
            CropGeometry geometry = transform.Plan(image.Width, image.Height, sample.BoundingBox, null);
            Assert.Equal(geometry, batch.Geometries[i]);
            var expectedPixels = new float[3 * Size * Size];
            transform.Render(image, geometry, expectedPixels);
            Assert.Equal(expectedPixels, images.AsSpan(i * 3 * Size * Size, 3 * Size * Size).ToArray());

            LandmarkSet expected = transform.MapLandmarks(geometry, sample.Landmarks!);
            for (int slot = 0; slot < 8; slot++)
            {
                Landmark l = expected[(LandmarkSlot)slot];
                bool present = expected.IsPresent((LandmarkSlot)slot);
                // Positions are normalized by the input size; unlabelled slots read 0.
                Assert.Equal(present ? l.X / Size : 0f, landmarks[(i * 8 + slot) * 2]);
                Assert.Equal(present ? l.Y / Size : 0f, landmarks[(i * 8 + slot) * 2 + 1]);
                Assert.Equal(present && l.Visibility == LandmarkVisibility.Visible, visible[i * 8 + slot]);
                Assert.Equal(present, labelled[i * 8 + slot]);
            }

            Assert.Equal(sample.ItemIndex, (int)items[i]);
            Assert.Equal(-1, categories[i]);
            AttributeLabels labels = sample.Attributes!.Value;
            for (int k = 0; k < a; k++)
            {
                Assert.Equal(labels[k] == AttributeValue.Positive ? 1f : 0f, attributes[i * a + k]);
                Assert.Equal(labels.IsKnown(k) ? 1f : 0f, mask[i * a + k]);
            }
        }
    }

    [Fact]
    public void Category_labels_become_zero_based_classes()
    {
        FashionDataset dataset = DeepFashionReader.Read(fixture.Layout.CategoryAndAttribute, DeepFashionFormat.CategoryAttribute);
        var loader = new FashionDataLoader(dataset, new SequentialBatchSampler([0], 1), ImageTransform.Evaluation(Size), null);
        using FashionBatch batch = loader.LoadBatch([0, 5], 0, 0);
        Assert.Equal(new long[] { dataset.Samples[0].CategoryLabel!.Value - 1, dataset.Samples[5].CategoryLabel!.Value - 1 }, batch.Categories.data<long>().ToArray());
    }

    [Fact]
    public void Evaluation_epoch_delivers_every_sample_once_in_order_whatever_the_workers()
    {
        FashionDataset dataset = InShop;
        var one = Collect(EvaluationLoader(dataset, batchSize: 5, workers: 1, prefetch: 1).ReadEpoch(0));
        var three = Collect(EvaluationLoader(dataset, batchSize: 5, workers: 3, prefetch: 4).ReadEpoch(0));
        Assert.Equal(Enumerable.Range(0, dataset.Samples.Count), one.SelectMany(b => b.Samples));
        Assert.Equal(one.Count, three.Count);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Samples, three[b].Samples);
            Assert.Equal(one[b].Images, three[b].Images);
            Assert.Equal(one[b].Landmarks, three[b].Landmarks);
        }
    }

    [Fact]
    public void Training_epochs_are_reproducible_across_worker_counts_and_differ_between_epochs()
    {
        FashionDataset dataset = InShop;
        int[] train = [.. dataset.IndicesOf(EvaluationSplit.Train)];
        FashionDataLoader Loader(int workers) => new(dataset, PKBatchSampler.ForItems(dataset, train, 2, 2, seed: 7),
            ImageTransform.Training(Size), ChannelNormalizer.ImageNet, new DataLoaderOptions { Workers = workers, Seed = 9 });

        var serial = Collect(Loader(1).ReadEpoch(1));
        var parallel = Collect(Loader(4).ReadEpoch(1));
        Assert.Equal(3, serial.Count);
        Assert.Equal(serial.Select(b => b.Images), parallel.Select(b => b.Images));
        Assert.Equal(serial.Select(b => b.Landmarks), parallel.Select(b => b.Landmarks));
        Assert.Equal(serial.Select(b => b.Visible), parallel.Select(b => b.Visible));
        Assert.NotEqual(serial.Select(b => b.Images), Collect(Loader(1).ReadEpoch(2)).Select(b => b.Images));
    }

    [Fact]
    public void A_corrupt_image_fails_its_batch_with_the_file_name()
    {
        string copy = Path.Combine(fixture.Directory, "corrupt-copy");
        CopyDirectory(fixture.Layout.InShop, copy);
        FashionDataset dataset = DeepFashionReader.Read(copy, DeepFashionFormat.InShop);
        string victim = dataset.ImageFullPath(dataset.Samples[7]);
        File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..100]);
        var error = Assert.Throws<ImageDecodeException>(() => Collect(EvaluationLoader(dataset, 4, workers: 2).ReadEpoch(0)));
        Assert.Equal(victim, error.FilePath);
    }

    [Fact]
    public void With_skipping_a_corrupt_image_is_left_out_of_its_batch_and_reported_until_too_many_are_bad()
    {
        string copy = Path.Combine(fixture.Directory, "skip-copy");
        CopyDirectory(fixture.Layout.InShop, copy);
        FashionDataset dataset = DeepFashionReader.Read(copy, DeepFashionFormat.InShop);
        string victim = dataset.ImageFullPath(dataset.Samples[5]);
        File.WriteAllBytes(victim, File.ReadAllBytes(victim)[..100]);
        int[] all = [.. Enumerable.Range(0, dataset.Samples.Count)];
        FashionDataLoader Loader(double maxBad) => new(dataset, new SequentialBatchSampler(all, 4), ImageTransform.Evaluation(Size), null,
            new DataLoaderOptions { Workers = 2, SkipBadImages = true, MaxBadImageFraction = maxBad });

        var batches = new List<(int[] Samples, long Rows, SkippedImage[] Skipped)>();
        foreach (FashionBatch batch in Loader(maxBad: 0.5).ReadEpoch(0))
            using (batch)
                batches.Add(([.. batch.SampleIndices], batch.Images.shape[0], [.. batch.SkippedImages]));
        Assert.Equal(all.Where(i => i != 5), batches.SelectMany(b => b.Samples));
        Assert.All(batches, b => Assert.Equal(b.Samples.Length, b.Rows));
        var skipped = Assert.Single(batches.SelectMany(b => b.Skipped));
        Assert.Equal((5, victim), (skipped.SampleIndex, skipped.ImagePath));
        Assert.False(string.IsNullOrWhiteSpace(skipped.Reason));

        // One bad image of this epoch is more than a share of 0 allows: the epoch stops, naming it.
        var error = Assert.Throws<InvalidDataException>(() => Collect(Loader(maxBad: 0).ReadEpoch(0)));
        Assert.Contains(victim, error.Message);
    }

    [Fact]
    public void PK_sampling_of_a_dataset_needs_item_ids()
    {
        FashionDataset landmarks = DeepFashionReader.Read(fixture.Layout.LandmarkDetection, DeepFashionFormat.Landmarks);
        var error = Assert.Throws<ArgumentException>(() => PKBatchSampler.ForItems(landmarks, [0, 1, 2, 3], 2, 2, 0));
        Assert.Contains(landmarks.Samples[0].ImagePath, error.Message);
    }

    [Fact]
    public void Unmapping_a_mapped_point_returns_it()
    {
        var geometry = new CropGeometry(-3.5f, 10.25f, 80, 60, Flip: true);
        (float x, float y) = geometry.MapPoint(17.5f, 42, 32, 24);
        (float bx, float by) = geometry.UnmapPoint(x, y, 32, 24);
        Assert.Equal(17.5f, bx, 3);
        Assert.Equal(42f, by, 3);
    }

    [SkippableFact]
    public void Loads_the_real_in_shop_sample()
    {
        string root = SharedData.Require(SharedData.InShopSample);
        FashionDataset dataset = DeepFashionReader.Read(root, DeepFashionFormat.InShop, new ReaderOptions { CheckImageFiles = false });
        const int size = 64;
        var loader = new FashionDataLoader(dataset, new SequentialBatchSampler(Enumerable.Range(0, 8).ToArray(), 4),
            ImageTransform.Evaluation(size), ChannelNormalizer.ImageNet, new DataLoaderOptions { Workers = 2 });
        var batches = Collect(loader.ReadEpoch(0));
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.All(b.Visible, Assert.False));

        // Every value of every channel is the image decoded, cropped and resized on its own, then normalized by hand with
        // torchvision's ImageNet mean and deviation (red, green, blue planes in that order).
        float[] mean = [0.485f, 0.456f, 0.406f], deviation = [0.229f, 0.224f, 0.225f];
        var transform = ImageTransform.Evaluation(size);
        var rendered = new float[3 * size * size];
        int plane = size * size;
        for (int sample = 0; sample < 8; sample++)
        {
            using var image = new ImageDecoder().Decode(dataset.ImageFullPath(dataset.Samples[sample]));
            transform.Render(image, transform.Plan(image.Width, image.Height, dataset.Samples[sample].BoundingBox, null), rendered);
            var loaded = batches[sample / 4].Images.AsSpan(sample % 4 * 3 * plane, 3 * plane);
            for (int i = 0; i < rendered.Length; i++)
            {
                float expected = (rendered[i] / 255 - mean[i / plane]) / deviation[i / plane];
                Assert.True(Math.Abs(expected - loaded[i]) < 1e-5, $"sample {sample}, channel {i / plane}, pixel {i % plane}: loaded {loaded[i]}, expected {expected}");
            }
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>Loader tests that count live tensors, a process-wide figure: they run alone.</summary>
[Collection(SerialCollection.Name)]
public sealed class FashionDataLoaderEarlyExitTests(SyntheticFixture fixture) : IClassFixture<SyntheticFixture>
{
    [Fact]
    public void Leaving_an_epoch_early_or_cancelling_it_frees_every_batch_and_the_next_epoch_runs_whole()
    {
        FashionDataset dataset = DeepFashionReader.Read(fixture.Layout.InShop, DeepFashionFormat.InShop);
        // Read-ahead of 4 batches on 2 workers: when the consumer stops, several loaded batches are waiting in the queue.
        var loader = FashionDataLoader.ForEvaluation(dataset, Enumerable.Range(0, dataset.Samples.Count).ToArray(), 32, ChannelNormalizer.ImageNet, 2,
            new DataLoaderOptions { Workers = 2, Prefetch = 4 });
        long baseline = torch.Tensor.TotalCount;

        foreach (FashionBatch batch in loader.ReadEpoch(0))
        {
            batch.Dispose();
            break;
        }
        Assert.Equal(baseline, torch.Tensor.TotalCount);

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (FashionBatch batch in loader.ReadEpoch(1, cancel.Token))
            {
                batch.Dispose();
                cancel.Cancel();
            }
        });
        Assert.Equal(baseline, torch.Tensor.TotalCount);

        var delivered = new List<int>();
        foreach (FashionBatch batch in loader.ReadEpoch(2))
            using (batch)
                delivered.AddRange(batch.SampleIndices);
        Assert.Equal(Enumerable.Range(0, dataset.Samples.Count), delivered);
        Assert.Equal(baseline, torch.Tensor.TotalCount);
    }
}
