using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionNet.Retrieval;

/// <summary>
/// Scores a tile with vectorized dot products straight from CPU memory (<see cref="SimilarityBackend.Managed"/>): each
/// gallery row is read once and scored against every query of the tile, rows spread over the thread pool. The scores
/// mean what <see cref="SimilaritySearch"/>'s LibTorch tiles mean, up to float rounding.
/// </summary>
internal static unsafe class ManagedTileScorer
{
    private const int RowsPerTask = 256;

    /// <summary>Fills <paramref name="scores"/>, row-major <c>[queryCount, galleryLength]</c>.</summary>
    /// <param name="queries">Query rows, row-major; L2-normalized already for cosine.</param>
    /// <param name="queryCount">Number of query rows.</param>
    /// <param name="galleryRows">Gallery rows, row-major, as stored.</param>
    /// <param name="galleryLength">Number of gallery rows.</param>
    /// <param name="dimension">Row length.</param>
    /// <param name="metric">Cosine: <c>q.g / max(|g|, 1e-12)</c>, as LibTorch's normalize. Euclidean: <c>2 q.g - |g|^2</c>.</param>
    /// <param name="scores">The tile to fill.</param>
    public static void Score(float* queries, int queryCount, float* galleryRows, int galleryLength, int dimension, SimilarityMetric metric,
        float* scores)
    {
        // Pointers, not spans, cross into the parallel lambda; the caller keeps all three buffers alive and fixed.
        nint queryAddress = (nint)queries, galleryAddress = (nint)galleryRows, scoreAddress = (nint)scores;
        Parallel.For(0, (galleryLength + RowsPerTask - 1) / RowsPerTask, task =>
        {
            int end = Math.Min(galleryLength, (task + 1) * RowsPerTask);
            for (int row = task * RowsPerTask; row < end; row++)
            {
                var galleryRow = new ReadOnlySpan<float>((float*)galleryAddress + (long)row * dimension, dimension);
                float normSquared = Dot(galleryRow, galleryRow);
                float norm = MathF.Max(MathF.Sqrt(normSquared), 1e-12f);
                for (int query = 0; query < queryCount; query++)
                {
                    float dot = Dot(new ReadOnlySpan<float>((float*)queryAddress + (long)query * dimension, dimension), galleryRow);
                    ((float*)scoreAddress)[(long)query * galleryLength + row] = metric == SimilarityMetric.Cosine ? dot / norm : 2 * dot - normSquared;
                }
            }
        });
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var vectorsA = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vectorsB = MemoryMarshal.Cast<float, Vector<float>>(b);
        // Two accumulators let consecutive multiply-adds overlap.
        Vector<float> even = Vector<float>.Zero, odd = Vector<float>.Zero;
        int v = 0;
        for (; v + 1 < vectorsA.Length; v += 2)
        {
            even += vectorsA[v] * vectorsB[v];
            odd += vectorsA[v + 1] * vectorsB[v + 1];
        }

        if (v < vectorsA.Length) even += vectorsA[v] * vectorsB[v];
        float sum = Vector.Sum(even + odd);
        for (int i = vectorsA.Length * Vector<float>.Count; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
