using System.Runtime.InteropServices;
using System.Threading.Channels;
using FashionNet.Data.Imaging;
using FashionNet.Inference;
using static TorchSharp.torch;

namespace FashionNet.Service;

/// <summary>
/// Pools the photos of concurrent searches into one forward pass: one worker thread takes whatever has queued up while
/// the previous pass ran (up to the batch size, never waiting for more), runs the model once and hands each search its
/// own result. A search whose request was cancelled while queued is dropped from the next pass.
/// </summary>
internal sealed class PredictionBatcher : IDisposable
{
    private readonly IImageEmbedder _embedder;
    private readonly int _maxBatchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;

    public PredictionBatcher(IImageEmbedder embedder, int maxBatchSize)
    {
        _embedder = embedder;
        _maxBatchSize = maxBatchSize;
        _worker = new Thread(Work) { IsBackground = true, Name = "fashionnet model" };
        _worker.Start();
    }

    /// <summary>The prediction for one photo, and how many photos shared its forward pass.</summary>
    public async Task<(ImagePrediction Prediction, int BatchSize)> PredictAsync(PreparedImage image, CancellationToken cancellationToken)
    {
        var pending = new Pending(image, cancellationToken);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(PredictionBatcher));
        using (cancellationToken.Register(static state => ((Pending)state!).Result.TrySetCanceled(), pending))
            return await pending.Result.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the model on prepared photos in one forward pass: the full prediction for a FashionNet, the embedding alone
    /// for other embedders.
    /// </summary>
    public static IReadOnlyList<ImagePrediction> Run(IImageEmbedder embedder, IReadOnlyList<PreparedImage> images)
    {
        int size = embedder.ImageSize, plane = 3 * size * size;
        using var scope = NewDisposeScope();
        var batch = empty([images.Count, 3, size, size], ScalarType.Float32);
        var pixels = MemoryMarshal.Cast<byte, float>(batch.bytes);
        for (int i = 0; i < images.Count; i++) images[i].Pixels.CopyTo(pixels.Slice(i * plane, plane));
        if (embedder is IImagePredictor predictor) return predictor.Predict(batch);

        var embeddings = embedder.Embed(batch).data<float>().ToArray();
        int dimension = embedder.Dimension;
        return [.. Enumerable.Range(0, images.Count).Select(i => new ImagePrediction(embeddings[(i * dimension)..((i + 1) * dimension)], [], []))];
    }

    /// <summary>Stops taking photos, finishes the passes already queued and stops the worker.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Join();
    }

    private void Work()
    {
        var batch = new List<Pending>(_maxBatchSize);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                if (!pending.CancellationToken.IsCancellationRequested) batch.Add(pending);
            }

            if (batch.Count == 0) continue;
            try
            {
                var predictions = Run(_embedder, [.. batch.Select(p => p.Image)]);
                for (int i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult((predictions[i], batch.Count));
            }
            catch (Exception e)
            {
                foreach (var pending in batch) pending.Result.TrySetException(e);
            }
        }
    }

    private sealed record Pending(PreparedImage Image, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<(ImagePrediction, int)> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
