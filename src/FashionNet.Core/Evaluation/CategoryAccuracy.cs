using System.Collections.Immutable;

namespace FashionNet.Evaluation;

/// <summary>Category top-k accuracy.</summary>
/// <param name="SampleCount">Number of images measured.</param>
/// <param name="TopK">Share of images whose true category is among the k best-scored, per cut-off.</param>
public sealed record CategoryAccuracyResult(int SampleCount, ImmutableArray<RateAtK> TopK);

/// <summary>
/// Accumulates category top-k accuracy (the paper reports k = 3 and 5) over batches of classifier scores. Categories
/// are ranked by score, equal scores by lower category index, so a tie never counts in the true category's favour
/// beyond that fixed order. Not thread-safe.
/// </summary>
public sealed class CategoryAccuracyAccumulator
{
    private readonly int _categoryCount;
    private readonly ImmutableArray<int> _ks;
    private readonly long[] _correct;
    private int _samples;

    /// <summary>Starts an empty accumulation.</summary>
    /// <param name="categoryCount">Number of categories: the length of one score row.</param>
    /// <param name="ks">Cut-offs; 3 and 5 when null.</param>
    public CategoryAccuracyAccumulator(int categoryCount, IEnumerable<int>? ks = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(categoryCount, 1);
        _categoryCount = categoryCount;
        _ks = CutOffs.Normalize(ks ?? [3, 5], nameof(ks));
        _correct = new long[_ks.Length];
    }

    /// <summary>Adds a batch.</summary>
    /// <param name="scores">Classifier scores, row-major <c>[batch, categoryCount]</c> (logits or probabilities: only their order counts).</param>
    /// <param name="labels">The true category of each image, as a 0-based index into a score row.</param>
    public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        if (scores.Length != labels.Length * _categoryCount)
            throw new ArgumentException($"{scores.Length} scores for {labels.Length} labels of {_categoryCount} categories.", nameof(scores));
        for (int sample = 0; sample < labels.Length; sample++)
        {
            if ((uint)labels[sample] >= (uint)_categoryCount)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[sample],
                    $"Label of sample {sample} is outside 0..{_categoryCount - 1}.");
            var row = scores.Slice(sample * _categoryCount, _categoryCount);
            CutOffs.RequireFinite(row, nameof(scores), _samples + sample);
            int rank = CutOffs.RankOf(row, labels[sample]);
            for (int i = 0; i < _ks.Length; i++)
            {
                if (rank < _ks[i]) _correct[i]++;
            }
        }

        _samples += labels.Length;
    }

    /// <summary>The accuracy over everything added so far.</summary>
    /// <exception cref="InvalidOperationException">Nothing was added.</exception>
    public CategoryAccuracyResult Result()
    {
        if (_samples == 0) throw new InvalidOperationException("No samples were added: category accuracy is undefined.");
        return new CategoryAccuracyResult(_samples, [.. _ks.Select((k, i) => new RateAtK(k, (double)_correct[i] / _samples))]);
    }
}
