using System.Runtime.CompilerServices;
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
    private readonly int _attributeCount;

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
        _attributeCount = dataset.Attributes.Count > 0
            ? dataset.Attributes.Count
            : dataset.Samples.FirstOrDefault(s => s.Attributes is not null)?.Attributes?.Count ?? 0;
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
    /// example an <see cref="ImageDecodeException"/> naming the bad file) surfaces at the batch that contains it.
    /// </summary>
    /// <param name="epoch">0-based epoch (seeds the sampler and the augmentation).</param>
    /// <param name="cancellationToken">Stops the epoch.</param>
    /// <returns>The batches in sampler order.</returns>
    public IEnumerable<FashionBatch> ReadEpoch(int epoch, CancellationToken cancellationToken = default)
    {
        using var pipeline = new Pipeline(this, epoch, cancellationToken);
        while (pipeline.TakeAsync().AsTask().GetAwaiter().GetResult() is { } batch) yield return batch;
    }

    /// <summary>Asynchronous form of <see cref="ReadEpoch"/>.</summary>
    /// <param name="epoch">0-based epoch.</param>
    /// <param name="cancellationToken">Stops the epoch.</param>
    /// <returns>The batches in sampler order.</returns>
    public async IAsyncEnumerable<FashionBatch> ReadEpochAsync(int epoch, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var pipeline = new Pipeline(this, epoch, cancellationToken);
        while (await pipeline.TakeAsync().ConfigureAwait(false) is { } batch) yield return batch;
    }

    /// <summary>Loads one batch on the calling thread (what each worker runs).</summary>
    /// <param name="sampleIndices">Samples of the batch.</param>
    /// <param name="epoch">Epoch, for the augmentation seeds.</param>
    /// <param name="batchIndex">Batch position in the epoch, for the augmentation seeds.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <returns>The batch; the caller disposes it.</returns>
    public FashionBatch LoadBatch(IReadOnlyList<int> sampleIndices, int epoch, int batchIndex, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sampleIndices);
        if (sampleIndices.Count == 0) throw new ArgumentException("A batch needs at least one sample.", nameof(sampleIndices));
        int n = sampleIndices.Count, size = _transform.Options.OutputSize, plane = 3 * size * size, slots = LandmarkLayout.SlotCount;
        int attributes = _attributeCount;
        var landmarks = new float[n * slots * 2];
        var visibility = new long[n * slots];
        var presence = new bool[n * slots];
        var categories = new long[n];
        var items = new long[n];
        var attributeTargets = new float[n * attributes];
        var attributeMask = new float[n * attributes];
        var geometries = new CropGeometry[n];
        var sourceSizes = new ImageSize[n];
        var orientations = new ImageOrientation[n];

        // Pixels are rendered straight into the tensor's memory: no per-batch managed buffer and no copy.
        Tensor images = empty([n, 3, size, size], ScalarType.Float32);
        try
        {
            for (int i = 0; i < n; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                FashionSample sample = _dataset.Samples[sampleIndices[i]];
                Span<float> pixels = MemoryMarshal.Cast<byte, float>(images.bytes).Slice(i * plane, plane);
                LandmarkSet? uprightLandmarks;
                using (Image<Rgb24> image = _decoder.Decode(_dataset.ImageFullPath(sample), out orientations[i]))
                {
                    // Annotations are coordinates of the stored pixel grid; the decoder turned the pixels upright, so they follow.
                    var orientation = orientations[i];
                    sourceSizes[i] = orientation.Inverse().UprightSize(new ImageSize(image.Width, image.Height));
                    BoundingBox? box = sample.BoundingBox is { } stored ? orientation.ToUpright(stored, sourceSizes[i]) : null;
                    uprightLandmarks = sample.Landmarks is { } landmarkSet ? orientation.ToUpright(landmarkSet, sourceSizes[i]) : null;
                    Random? random = _transform.IsRandom ? new Random(Seeds.Derive(Options.Seed, epoch, batchIndex, i)) : null;
                    geometries[i] = _transform.Plan(image.Width, image.Height, box, random);
                    _transform.Render(image, geometries[i], pixels);
                }

                _normalizer?.Normalize(pixels, size, size);
                WriteLandmarks(uprightLandmarks is { } source ? _transform.MapLandmarks(geometries[i], source) : null,
                    landmarks.AsSpan(i * slots * 2, slots * 2), visibility.AsSpan(i * slots, slots), presence.AsSpan(i * slots, slots));
                categories[i] = sample.CategoryIndex ?? -1;
                items[i] = sample.ItemIndex ?? -1;
                if (sample.Attributes is { } labels)
                {
                    if (labels.Count != attributes)
                        throw new InvalidDataException($"Image '{sample.ImagePath}' has {labels.Count} attribute labels; the dataset has {attributes}.");
                    labels.CopyTo(attributeTargets.AsSpan(i * attributes, attributes), attributeMask.AsSpan(i * attributes, attributes));
                }
            }
        }
        catch
        {
            images.Dispose();
            throw;
        }

        // The small per-sample arrays are copied into tensors once per batch.
        return new FashionBatch(
            images,
            tensor(landmarks, [n, slots, 2]),
            tensor(visibility, [n, slots]),
            tensor(presence, [n, slots]),
            tensor(categories, [n]),
            tensor(attributeTargets, [n, attributes]),
            tensor(attributeMask, [n, attributes]),
            tensor(items, [n]),
            [.. sampleIndices],
            geometries,
            sourceSizes,
            orientations);
    }

    private static void WriteLandmarks(LandmarkSet? landmarks, Span<float> xy, Span<long> visibility, Span<bool> presence)
    {
        for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
        {
            Landmark landmark = landmarks?[(LandmarkSlot)slot] ?? LandmarkSet.Absent;
            xy[2 * slot] = landmark.X;
            xy[2 * slot + 1] = landmark.Y;
            visibility[slot] = (long)landmark.Visibility;
            presence[slot] = landmarks?.IsPresent((LandmarkSlot)slot) ?? false;
        }
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
