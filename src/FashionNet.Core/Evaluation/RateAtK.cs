using System.Collections.Immutable;

namespace FashionNet.Evaluation;

/// <summary>A rate measured at a cut-off k, e.g. the hit rate of the top 10.</summary>
/// <param name="K">The cut-off.</param>
/// <param name="Rate">The rate, between 0 and 1.</param>
public readonly record struct RateAtK(int K, double Rate);

/// <summary>Checks and normalizes the cut-off lists the measures take.</summary>
internal static class CutOffs
{
    /// <summary>The cut-offs sorted ascending without repeats; each must be at least 1.</summary>
    public static ImmutableArray<int> Normalize(IEnumerable<int> ks, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(ks, parameterName);
        var sorted = ks.Distinct().Order().ToImmutableArray();
        if (sorted.IsEmpty) throw new ArgumentException("At least one cut-off k is needed.", parameterName);
        if (sorted[0] < 1) throw new ArgumentOutOfRangeException(parameterName, sorted[0], "Every cut-off k must be at least 1.");
        return sorted;
    }

    /// <summary>
    /// The rank (0-based) of entry <paramref name="target"/> when all entries are ordered by score, higher first, equal
    /// scores by lower index: entries scoring higher, plus equal-scoring entries before it. A tie never counts in the
    /// target's favour beyond its own position.
    /// </summary>
    public static int RankOf(ReadOnlySpan<float> scores, int target)
    {
        float targetScore = scores[target];
        int rank = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] > targetScore || (scores[i] == targetScore && i < target)) rank++;
        }

        return rank;
    }

    /// <summary>
    /// The indices of the best-scored entries, best first, in the order of <see cref="RankOf"/> (equal scores by lower
    /// index), by insertion.
    /// </summary>
    public static void TopIndices(ReadOnlySpan<float> scores, Span<int> top)
    {
        int kept = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            // Scanning in index order, an equal score never displaces a kept one: only strictly higher scores move up.
            if (kept == top.Length && scores[i] <= scores[top[kept - 1]]) continue;
            int position = Math.Min(kept, top.Length - 1);
            while (position > 0 && scores[i] > scores[top[position - 1]])
            {
                top[position] = top[position - 1];
                position--;
            }

            top[position] = i;
            if (kept < top.Length) kept++;
        }
    }

    /// <summary>Throws when a score is NaN or infinite, naming the sample.</summary>
    public static void RequireFinite(ReadOnlySpan<float> scores, string parameterName, int sample)
    {
        foreach (float score in scores)
        {
            if (!float.IsFinite(score)) throw new ArgumentException($"Sample {sample} has a NaN or infinite score.", parameterName);
        }
    }
}
