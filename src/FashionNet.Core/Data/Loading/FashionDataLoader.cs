using System.Runtime.InteropServices;
using System.Threading.Channels;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace FashionNet.Data.Loading;

/// <summary>
/// Turns a <see cref="FashionDataset"/> into <see cref="FashionBatch"/>es: decoding, transform and normalization run on
/// background workers feeding a bounded queue, so the trainer does not wait for images. Batches arrive in sampler
/// order, and every random choice comes from a seed derived from (loader seed, epoch, batch, position), so the
/// batches are the same whatever the number of workers or the thread timing.
/// </summary>
public sealed class FashionDataLoader
{
    private readonly FashionDataset _dataset;
    private readonly IBatchSampler _sampler;
    private readonly ImageTransform _transform;
    private readonly IImageNormalizer? _normalizer;
    private readonly ImageDecoder _decoder;

    /// <summary>
    /// A loader for evaluation and inference: <paramref name="sampleIndices"/> in order, in batches of
    /// <paramref name="batchSize"/>, through the deterministic evaluation transform at <paramref name="imageSize"/>.
    /// </summary>
    /// <param name="dataset">The samples and their image root.</param>
    /// <param name="sampleIndices">The samples to load, in delivery order.</param>
    /// <param name="imageSize">Network input size.</param>
    /// <param name="normalizer">Backbone normalization, or null for RGB 0..255.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="options">Workers and prefetch; defaults when null.</param>
    public static FashionDataLoader ForEvaluation(FashionDataset dataset, IReadOnlyList<int> sampleIndices, int imageSize,
        IImageNormalizer? normalizer, int batchSize, DataLoaderOptions? options = null) =>
        new(dataset, new SequentialBatchSampler(sampleIndices, batchSize), ImageTransform.Evaluation(imageSize), normalizer, options);

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The samples and their image root.</param>
    /// <param name="sampler">Which samples make each batch (P x K for training, sequential for evaluation).</param>
    /// <param name="transform">Framing and augmentation (use the evaluation transform for evaluation).</param>
    /// <param name="normalizer">Backbone normalization, or null for RGB 0..255.</param>
    /// <param name="options">Workers, prefetch and seed; defaults when null.</param>
    /// <param name="decoder">Image decoder with its limits; default limits when null.</param>
    public FashionDataLoader(FashionDataset dataset, IBatchSampler sampler, ImageTransform transform, IImageNormalizer? normalizer,
        DataLoaderOptions? options = null, ImageDecoder? decoder = null)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
        _normalizer = normalizer;
        Options = options ?? new DataLoaderOptions();
        Options.Validate();
        _decoder = decoder ?? new ImageDecoder();
    }

    /// <summary>Workers, prefetch and seed.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Number of batches of an epoch.</summary>
    /// <param name="epoch">0-based epoch.</param>
    /// <returns>The sampler's batch count for the epoch.</returns>
    public int BatchCount(int epoch) => _sampler.Batches(epoch).Count;

    /// <summary>
    /// The batches of one epoch, prepared in the background. Disposing the enumerator (leaving a <c>foreach</c>) stops
    /// the workers and frees batches nobody took; each batch handed out is the caller's to dispose. A failure (for
    /// example an <see cref="ImageDecodeException"/> naming the bad file) surfaces at the batch that contains it; with
    /// <see cref="DataLoaderOptions.SkipBadImages"/> unreadable images are left out and reported in their batch instead
    /// (a batch may then be smaller, or even empty), until more than <see cref="DataLoaderOptions.MaxBadImageFraction"/>
    /// of the epoch's images have been.
    /// </summary>
    /// <param name="epoch">0-based epoch (seeds the sampler and the augmentation).</param>
    /// <param name="cancellationToken">Stops the epoch.</param>
    /// <returns>The batches in sampler order.</returns>
    /// <exception cref="InvalidDataException">Too many images of the epoch could not be read.</exception>
    public IEnumerable<FashionBatch> ReadEpoch(int epoch, CancellationToken cancellationToken = default)
    {
        long epochImages = _sampler.Batches(epoch).Sum(batch => (long)batch.Length), skipped = 0;
        using var pipeline = new Pipeline(this, epoch, cancellationToken);
        while (pipeline.TakeAsync().AsTask().GetAwaiter().GetResult() is { } batch)
        {
            skipped += batch.SkippedImages.Count;
            if (skipped > Options.MaxBadImageFraction * epochImages)
            {
                var latest = batch.SkippedImages[^1];
                batch.Dispose();
                throw new InvalidDataException(
                    $"{skipped} of the epoch's {epochImages} images could not be read, more than the {Options.MaxBadImageFraction:P1} allowed; " +
                    $"the latest: '{latest.ImagePath}': {latest.Reason}");
            }
            yield return batch;
        }
    }

    /// <summary>Loads one batch on the calling thread (what each worker runs).</summary>
    /// <param name="sampleIndices">Samples of the batch.</param>
    /// <param name="epoch">Epoch, for the augmentation seeds.</param>
    /// <param name="batchIndex">Batch position in the epoch, for the augmentation seeds.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <returns>The batch (with fewer samples when images were skipped); the caller disposes it.</returns>
    public FashionBatch LoadBatch(IReadOnlyList<int> sampleIndices, int epoch, int batchIndex, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sampleIndices);
        if (sampleIndices.Count == 0) throw new ArgumentException("A batch needs at least one sample.", nameof(sampleIndices));
        int size = _transform.Options.OutputSize, plane = 3 * size * size;
        var kept = new List<int>(sampleIndices.Count);
        var landmarks = new List<LandmarkSet?>(sampleIndices.Count);
        var geometries = new List<CropGeometry>(sampleIndices.Count);
        var sourceSizes = new List<ImageSize>(sampleIndices.Count);
        var orientations = new List<ImageOrientation>(sampleIndices.Count);
        var skipped = new List<SkippedImage>();

        // Pixels are rendered straight into the tensor's memory: no per-batch managed buffer and no copy.
        Tensor images = empty([sampleIndices.Count, 3, size, size], ScalarType.Float32, device: CPU);
        try
        {
            for (int i = 0; i < sampleIndices.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                FashionSample sample = _dataset.Samples[sampleIndices[i]];
                Image<Rgb24> image;
                ImageOrientation orientation;
                try
                {
                    image = _decoder.Decode(_dataset.ImageFullPath(sample), out orientation);
                }
                catch (ImageDecodeException e) when (Options.SkipBadImages)
                {
                    skipped.Add(new SkippedImage(sampleIndices[i], e.FilePath, e.Problem));
                    continue;
                }
                using (image)
                {
                    // Annotations are coordinates of the stored pixel grid; the decoder turned the pixels upright, so they follow.
                    var storedSize = orientation.Inverse().UprightSize(new ImageSize(image.Width, image.Height));
                    BoundingBox? box = sample.BoundingBox is { } stored ? orientation.ToUpright(stored, storedSize) : null;
                    LandmarkSet? upright = sample.Landmarks is { } set ? orientation.ToUpright(set, storedSize) : null;
                    // A sample's random stream depends on its place in the planned batch, not on which images were skipped.
                    Random? random = _transform.IsRandom ? new Random(Seeds.Derive(Options.Seed, epoch, batchIndex, i)) : null;
                    var geometry = _transform.Plan(image.Width, image.Height, box, random);
                    Span<float> pixels = MemoryMarshal.Cast<byte, float>(images.bytes).Slice(kept.Count * plane, plane);
                    _transform.Render(image, geometry, pixels);
                    _normalizer?.Normalize(pixels, size, size);
                    geometries.Add(geometry);
                    sourceSizes.Add(storedSize);
                    orientations.Add(orientation);
                    landmarks.Add(upright is { } source ? _transform.MapLandmarks(geometry, source) : null);
                }
                kept.Add(sampleIndices[i]);
            }
            if (kept.Count < sampleIndices.Count)
            {
                using var all = images;
                images = all.narrow(0, 0, kept.Count).clone();
            }
            if (Options.PinMemory)
            {
                using var pageable = images;
                images = pageable.pin_memory();
            }
            return Assemble(images, kept, landmarks, geometries, sourceSizes, orientations, skipped);
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    /// <summary>The batch's tensors from the rendered pixels and the kept samples' labels.</summary>
    private FashionBatch Assemble(Tensor images, List<int> kept, List<LandmarkSet?> landmarks, List<CropGeometry> geometries,
        List<ImageSize> sourceSizes, List<ImageOrientation> orientations, List<SkippedImage> skipped)
    {
        int n = kept.Count, size = _transform.Options.OutputSize, attributes = _dataset.AttributeCount;
        var categories = new long[n];
        var items = new long[n];
        var attributeTargets = new float[n * attributes];
        var attributeMask = new float[n * attributes];
        int withCategory = 0, withAttributes = 0, withItem = 0;
        for (int i = 0; i < n; i++)
        {
            FashionSample sample = _dataset.Samples[kept[i]];
            categories[i] = sample.CategoryIndex ?? -1;
            items[i] = sample.ItemIndex ?? -1;
            if (sample.CategoryIndex is not null) withCategory++;
            if (sample.ItemIndex is not null) withItem++;
            if (sample.Attributes is { } labels)
            {
                if (labels.Count != attributes)
                    throw new InvalidDataException($"Image '{sample.ImagePath}' has {labels.Count} attribute labels; the dataset has {attributes}.");
                labels.CopyTo(attributeTargets.AsSpan(i * attributes, attributes), attributeMask.AsSpan(i * attributes, attributes));
                withAttributes++;
            }
        }
        var targets = LandmarkTargets.FromInputPixels(landmarks, size, size);
        return new FashionBatch(
            images,
            targets,
            tensor(categories, [n], device: CPU),
            tensor(attributeTargets, [n, attributes], device: CPU),
            tensor(attributeMask, [n, attributes], device: CPU),
            tensor(items, [n], device: CPU),
            new BatchLabelCounts(targets.LabelledSamples, withCategory, withAttributes, withItem),
            [.. kept],
            [.. geometries],
            [.. sourceSizes],
            [.. orientations],
            skipped);
    }

    /// <summary>
    /// One epoch in flight: a producer queues one task per batch, in order, into a bounded channel; a semaphore keeps
    /// at most <see cref="DataLoaderOptions.Workers"/> of them running. The consumer awaits the tasks in queue order.
    /// </summary>
    private sealed class Pipeline : IDisposable, IAsyncDisposable
    {
        private readonly FashionDataLoader _loader;
        private readonly int _epoch;
        private readonly CancellationTokenSource _stop;
        private readonly Channel<Task<FashionBatch>> _queue;
        private readonly SemaphoreSlim _workers;
        private readonly Task _producer;
        private bool _disposed;

        public Pipeline(FashionDataLoader loader, int epoch, CancellationToken cancellationToken)
        {
            _loader = loader;
            _epoch = epoch;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _queue = Channel.CreateBounded<Task<FashionBatch>>(new BoundedChannelOptions(loader.Options.Prefetch)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _workers = new SemaphoreSlim(loader.Options.Workers);
            _producer = Task.Run(ProduceAsync);
        }

        /// <summary>The next batch, or null at the end of the epoch.</summary>
        public async ValueTask<FashionBatch?> TakeAsync()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                if (_queue.Reader.TryRead(out Task<FashionBatch>? next)) return await next.ConfigureAwait(false);
            return null;
        }

        private async Task ProduceAsync()
        {
            CancellationToken token = _stop.Token;
            try
            {
                IReadOnlyList<int[]> batches = _loader._sampler.Batches(_epoch);
                for (int b = 0; b < batches.Count; b++)
                {
                    Task<FashionBatch> work = RunAsync(batches[b], b, token);
                    try
                    {
                        await _queue.Writer.WriteAsync(work, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        await DiscardAsync(work).ConfigureAwait(false);
                        throw;
                    }
                }

                _queue.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _queue.Writer.TryComplete(e is OperationCanceledException ? null : e);
            }
        }

        private async Task<FashionBatch> RunAsync(int[] samples, int batchIndex, CancellationToken token)
        {
            await _workers.WaitAsync(token).ConfigureAwait(false);
            try
            {
                return await Task.Run(() => _loader.LoadBatch(samples, _epoch, batchIndex, token), token).ConfigureAwait(false);
            }
            finally
            {
                _workers.Release();
            }
        }

        private static async Task DiscardAsync(Task<FashionBatch> work)
        {
            try
            {
                (await work.ConfigureAwait(false)).Dispose();
            }
            catch (Exception)
            {
                // The epoch is being abandoned: a batch that failed or was cancelled has nothing to free.
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            await _stop.CancelAsync().ConfigureAwait(false);
            await _producer.ConfigureAwait(false);
            while (_queue.Reader.TryRead(out Task<FashionBatch>? pending)) await DiscardAsync(pending).ConfigureAwait(false);
            _stop.Dispose();
            _workers.Dispose();
        }

        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
