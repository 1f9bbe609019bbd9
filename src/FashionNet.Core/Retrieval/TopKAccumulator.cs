using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionNet.Retrieval;

/// <summary>
/// The streaming top-k of many queries at once: each query keeps a bounded heap of its k best (score, gallery index)
/// pairs while the gallery streams past in index order, tile by tile. Higher scores rank first, equal scores in gallery
/// order. Rows of different queries may be offered from different threads; one query's row never concurrently.
/// </summary>
internal sealed class TopKAccumulator
{
    private readonly int[] _indices;
    private readonly float[] _scores;
    private readonly int[] _filled;

    public TopKAccumulator(int queryCount, int k)
    {
        QueryCount = queryCount;
        K = k;
        _indices = new int[checked(queryCount * k)];
        _scores = new float[_indices.Length];
        _filled = new int[queryCount];
    }

    public int QueryCount { get; }

    public int K { get; }

    /// <summary>
    /// Offers one query's scores against gallery entries <c>galleryStart ..</c>. Successive calls for a query must come in
    /// increasing gallery order: that is what lets an equal score lose to the entries already kept.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="scores">Its scores against consecutive gallery entries.</param>
    /// <param name="galleryStart">Gallery index of <c>scores[0]</c>.</param>
    /// <param name="excludedIndex">A gallery index this query must not match, or -1.</param>
    public void Offer(int query, ReadOnlySpan<float> scores, int galleryStart, int excludedIndex)
    {
        int local = excludedIndex - galleryStart;
        if ((uint)local < (uint)scores.Length)
        {
            Offer(query, scores[..local], galleryStart);
            Offer(query, scores[(local + 1)..], excludedIndex + 1);
        }
        else
        {
            Offer(query, scores, galleryStart);
        }
    }

    private void Offer(int query, ReadOnlySpan<float> scores, int galleryStart)
    {
        Span<float> heapScores = _scores.AsSpan(query * K, K);
        Span<int> heapIndices = _indices.AsSpan(query * K, K);
        ref int filled = ref _filled[query];

        int j = 0;
        for (; filled < K && j < scores.Length; j++)
        {
            heapScores[filled] = scores[j];
            heapIndices[filled] = galleryStart + j;
            SiftUp(heapScores, heapIndices, filled++);
        }

        // Full heap: a later entry enters only with a strictly higher score than the worst kept one, since on a tie
        // its higher gallery index ranks it below. Most entries fail that test, a vector at a time.
        float threshold = heapScores[0];
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(scores[j..]);
            int vectorStart = j;
            for (int v = 0; v < vectors.Length; v++)
            {
                if (!Vector.GreaterThanAny(vectors[v], new Vector<float>(threshold))) continue;
                int start = vectorStart + v * Vector<float>.Count;
                for (int t = start; t < start + Vector<float>.Count; t++)
                {
                    if (scores[t] > threshold) threshold = ReplaceWorst(heapScores, heapIndices, scores[t], galleryStart + t);
                }
            }

            j = vectorStart + vectors.Length * Vector<float>.Count;
        }

        for (; j < scores.Length; j++)
        {
            if (scores[j] > threshold) threshold = ReplaceWorst(heapScores, heapIndices, scores[j], galleryStart + j);
        }
    }

    /// <summary>Sorts every query's kept entries best first and hands them over; the accumulator is spent.</summary>
    public (int[] Indices, float[] Scores) Finish()
    {
        for (int query = 0; query < QueryCount; query++)
        {
            if (_filled[query] != K)
                throw new InvalidOperationException($"Query {query} saw {_filled[query]} gallery entries, fewer than k = {K}.");
            Span<float> heapScores = _scores.AsSpan(query * K, K);
            Span<int> heapIndices = _indices.AsSpan(query * K, K);
            // Heap sort: moving the worst entry to the end, repeatedly, leaves the best first.
            for (int end = K - 1; end > 0; end--)
            {
                Swap(heapScores, heapIndices, 0, end);
                SiftDown(heapScores[..end], heapIndices[..end], 0);
            }
        }

        return (_indices, _scores);
    }

    private static float ReplaceWorst(Span<float> heapScores, Span<int> heapIndices, float score, int index)
    {
        heapScores[0] = score;
        heapIndices[0] = index;
        SiftDown(heapScores, heapIndices, 0);
        return heapScores[0];
    }

    /// <summary>Whether entry a ranks below entry b: lower score, or equal score and higher gallery index.</summary>
    private static bool RanksBelow(float scoreA, int indexA, float scoreB, int indexB) =>
        scoreA < scoreB || (scoreA == scoreB && indexA > indexB);

    private static void SiftUp(Span<float> scores, Span<int> indices, int node)
    {
        while (node > 0)
        {
            int parent = (node - 1) / 2;
            if (!RanksBelow(scores[node], indices[node], scores[parent], indices[parent])) return;
            Swap(scores, indices, node, parent);
            node = parent;
        }
    }

    private static void SiftDown(Span<float> scores, Span<int> indices, int node)
    {
        while (true)
        {
            int worst = node;
            int left = 2 * node + 1;
            int right = left + 1;
            if (left < scores.Length && RanksBelow(scores[left], indices[left], scores[worst], indices[worst])) worst = left;
            if (right < scores.Length && RanksBelow(scores[right], indices[right], scores[worst], indices[worst])) worst = right;
            if (worst == node) return;
            Swap(scores, indices, node, worst);
            node = worst;
        }
    }

    private static void Swap(Span<float> scores, Span<int> indices, int a, int b)
    {
        (scores[a], scores[b]) = (scores[b], scores[a]);
        (indices[a], indices[b]) = (indices[b], indices[a]);
    }
}
