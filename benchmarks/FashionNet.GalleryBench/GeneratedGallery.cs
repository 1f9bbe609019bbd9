using FashionNet.Retrieval;

namespace FashionNet.GalleryBench;

/// <summary>
/// Generated stand-ins for catalogue embeddings: vector <c>i</c> is <c>center[i % Clusters] + Spread * noise</c>, L2-normalized,
/// each a pure function of <c>i</c> (and the seed), so any shard, process or file can produce any vector alone. The clusters
/// (about 100 vectors each at 1M) give a neighbour structure like that of embeddings of many items seen several times;
/// uniform random vectors in 512 dimensions would have none (every distance nearly equal), which says nothing about recall.
/// </summary>
internal sealed class GeneratedGallery
{
    public const string Fingerprint = "generated-clusters-v1";
    public const int Clusters = 10_000;
    private const float Spread = 0.5f;
    private readonly float[] _centers;

    public GeneratedGallery(int dimension)
    {
        Dimension = dimension;
        _centers = new float[Clusters * dimension];
        for (int c = 0; c < Clusters; c++) FillGaussian(_centers.AsSpan(c * dimension, dimension), 0x5EED_0000_0000 + (ulong)c);
    }

    public int Dimension { get; }

    public static GalleryEntry Entry(int index) => new($"/generated/{index:D7}.jpg", $"c{index % Clusters:D5}", $"cat{index % Clusters % 20:D2}");

    /// <summary>Gallery vector <paramref name="index"/>.</summary>
    public void Fill(int index, Span<float> destination) => Fill(index % Clusters, (ulong)index, destination);

    /// <summary>Query <paramref name="index"/>: a new point of cluster <c>index * 7919 % Clusters</c>, never a gallery vector.</summary>
    public void FillQuery(int index, Span<float> destination) => Fill(index * 7919 % Clusters, 0xABCD_0000_0000 + (ulong)index, destination);

    public float[] Rows(IReadOnlyList<int> indices)
    {
        var rows = new float[indices.Count * Dimension];
        Parallel.For(0, indices.Count, row => Fill(indices[row], rows.AsSpan(row * Dimension, Dimension)));
        return rows;
    }

    private void Fill(int cluster, ulong seed, Span<float> destination)
    {
        FillGaussian(destination, seed);
        var center = _centers.AsSpan(cluster * Dimension, Dimension);
        double norm = 0;
        for (int d = 0; d < destination.Length; d++)
        {
            destination[d] = center[d] + Spread * destination[d];
            norm += destination[d] * destination[d];
        }
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int d = 0; d < destination.Length; d++) destination[d] *= scale;
    }

    /// <summary>Standard normal values from SplitMix64 and Box-Muller: fast, and the same on every machine.</summary>
    private static void FillGaussian(Span<float> destination, ulong seed)
    {
        ulong state = seed * 0x9E3779B97F4A7C15UL + 1;
        for (int d = 0; d < destination.Length; d += 2)
        {
            double u1 = (Next(ref state) >> 11) * (1.0 / (1UL << 53)) + 1e-300, u2 = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            destination[d] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (d + 1 < destination.Length) destination[d + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
