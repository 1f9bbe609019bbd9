using System.Collections.Immutable;

namespace FashionNet.Evaluation;

/// <summary>Category top-k accuracy, and per category which categories it is confused with.</summary>
/// <param name="SampleCount">Number of images measured.</param>
/// <param name="TopK">Share of images whose true category is among the k best-scored, per cut-off.</param>
/// <param name="PerCategory">
/// Top-1 results of each category that had images, by category index: the overall rates hide which garments the
/// classifier mixes up.
/// </param>
public sealed record CategoryAccuracyResult(int SampleCount, ImmutableArray<RateAtK> TopK, ImmutableArray<CategoryTop1> PerCategory);

/// <summary>The top-1 results of the images of one true category.</summary>
/// <param name="Category">The category's 0-based index (<c>CategoryLabel - 1</c>).</param>
/// <param name="Name">The category's name; null when the names are not known.</param>
/// <param name="SampleCount">Images of this category.</param>
/// <param name="Top1Rate">Share of them whose best-scored category is this one.</param>
/// <param name="MostConfusedWith">The wrong category most often scored best for them; null when none was.</param>
public sealed record CategoryTop1(int Category, string? Name, int SampleCount, double Top1Rate, CategoryConfusion? MostConfusedWith);

/// <summary>A wrong category scored best for images of a true category.</summary>
/// <param name="Category">The wrong category's 0-based index (on equal counts, the lowest).</param>
/// <param name="Name">Its name; null when the names are not known.</param>
/// <param name="Count">Images of the true category for which it scored best.</param>
/// <param name="Share">Those images as a share of all images of the true category.</param>
public sealed record CategoryConfusion(int Category, string? Name, int Count, double Share);

/// <summary>
/// Accumulates category top-k accuracy (the paper reports k = 3 and 5) over batches of classifier scores. Categories
/// are ranked by score, equal scores by lower category index, so a tie never counts in the true category's favour
/// beyond that fixed order. The same order picks each image's top-1 category for the confusion counts behind
/// <see cref="CategoryAccuracyResult.PerCategory"/>. Not thread-safe.
/// </summary>
public sealed class CategoryAccuracyAccumulator
{
    private readonly int _categoryCount;
    private readonly ImmutableArray<int> _ks;
    private readonly long[] _correct;
    private readonly int[,] _confusion;
    private readonly IReadOnlyList<string> _names;
    private int _samples;

    /// <summary>Starts an empty accumulation.</summary>
    /// <param name="categoryCount">Number of categories: the length of one score row.</param>
    /// <param name="ks">Cut-offs; 3 and 5 when null.</param>
    /// <param name="categoryNames">Category names by index, for the per-category results; categories past its end (all, when null) have none.</param>
    public CategoryAccuracyAccumulator(int categoryCount, IEnumerable<int>? ks = null, IReadOnlyList<string>? categoryNames = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(categoryCount, 1);
        _categoryCount = categoryCount;
        _ks = CutOffs.Normalize(ks ?? [3, 5], nameof(ks));
        _correct = new long[_ks.Length];
        _confusion = new int[categoryCount, categoryCount];
        _names = categoryNames ?? [];
    }

    /// <summary>Adds a batch.</summary>
    /// <param name="scores">Classifier scores, row-major <c>[batch, categoryCount]</c> (logits or probabilities: only their order counts).</param>
    /// <param name="labels">The true category of each image, as a 0-based index into a score row.</param>
    public void Add(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        if (scores.Length != labels.Length * _categoryCount)
            throw new ArgumentException($"{scores.Length} scores for {labels.Length} labels of {_categoryCount} categories.", nameof(scores));
        Span<int> best = stackalloc int[1];
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

            CutOffs.TopIndices(row, best);
            _confusion[labels[sample], best[0]]++;
        }

        _samples += labels.Length;
    }

    /// <summary>The accuracy over everything added so far.</summary>
    /// <exception cref="InvalidOperationException">Nothing was added.</exception>
    public CategoryAccuracyResult Result()
    {
        if (_samples == 0) throw new InvalidOperationException("No samples were added: category accuracy is undefined.");
        return new CategoryAccuracyResult(_samples, [.. _ks.Select((k, i) => new RateAtK(k, (double)_correct[i] / _samples))],
            [.. Enumerable.Range(0, _categoryCount).Select(PerCategory).OfType<CategoryTop1>()]);
    }

    /// <summary>The top-1 results of true category <paramref name="truth"/>, from its row of confusion counts; null when it had no images.</summary>
    private CategoryTop1? PerCategory(int truth)
    {
        int samples = 0;
        int confused = -1;
        for (int predicted = 0; predicted < _categoryCount; predicted++)
        {
            int count = _confusion[truth, predicted];
            samples += count;
            if (predicted != truth && count > 0 && (confused < 0 || count > _confusion[truth, confused])) confused = predicted;
        }

        if (samples == 0) return null;
        return new CategoryTop1(truth, NameOf(truth), samples, (double)_confusion[truth, truth] / samples, confused < 0 ? null
            : new CategoryConfusion(confused, NameOf(confused), _confusion[truth, confused], (double)_confusion[truth, confused] / samples));
    }

    private string? NameOf(int category) => category < _names.Count ? _names[category] : null;
}
