namespace FashionNet.Data.Annotations;

/// <summary>An attribute label as the files code it.</summary>
public enum AttributeValue : sbyte
{
    /// <summary><c>-1</c>: the attribute does not apply.</summary>
    Negative = -1,

    /// <summary><c>0</c>: not annotated; masked out of losses and metrics.</summary>
    Unknown = 0,

    /// <summary><c>1</c>: the attribute applies.</summary>
    Positive = 1,
}

/// <summary>
/// The attribute labels of one image (Category and Attribute) or one item (In-shop, Consumer-to-shop): a view of a
/// row of a compact matrix that stores two bits per label.
/// </summary>
public readonly struct AttributeLabels
{
    private readonly AttributeMatrix _matrix;
    private readonly int _row;

    internal AttributeLabels(AttributeMatrix matrix, int row)
    {
        _matrix = matrix;
        _row = row;
    }

    /// <summary>Number of attributes.</summary>
    public int Count => _matrix.ColumnCount;

    /// <summary>The label of attribute <paramref name="index"/> (0-based, in attribute-list order).</summary>
    public AttributeValue this[int index] => _matrix.Get(_row, index);

    /// <summary>Whether attribute <paramref name="index"/> is annotated (not <see cref="AttributeValue.Unknown"/>).</summary>
    public bool IsKnown(int index) => this[index] != AttributeValue.Unknown;

    /// <summary>Number of positive labels.</summary>
    public int PositiveCount => _matrix.PositiveCount(_row);

    /// <summary>
    /// Writes the labels as training targets: <paramref name="targets"/> 1 for positive, 0 otherwise;
    /// <paramref name="mask"/> 1 for known labels, 0 for unknown ones.
    /// </summary>
    public void CopyTo(Span<float> targets, Span<float> mask)
    {
        if (targets.Length < Count || mask.Length < Count)
            throw new ArgumentException($"Spans must hold {Count} attributes.");
        for (int i = 0; i < Count; i++)
        {
            var value = this[i];
            targets[i] = value == AttributeValue.Positive ? 1f : 0f;
            mask[i] = value == AttributeValue.Unknown ? 0f : 1f;
        }
    }
}

/// <summary>
/// Attribute labels of many rows in two bitsets per row (known, positive): 1,000 attributes take 256 bytes a row, so
/// the 289,222 images of Category and Attribute fit in 74 MB.
/// </summary>
internal sealed class AttributeMatrix
{
    private readonly int _wordsPerRow;
    private ulong[] _known;
    private ulong[] _positive;

    public AttributeMatrix(int columnCount, int initialRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columnCount);
        ColumnCount = columnCount;
        _wordsPerRow = (columnCount + 63) / 64;
        int capacity = Math.Max(1, initialRows) * _wordsPerRow;
        _known = new ulong[capacity];
        _positive = new ulong[capacity];
    }

    public int ColumnCount { get; }

    public int RowCount { get; private set; }

    public AttributeValue Get(int row, int column)
    {
        if ((uint)column >= (uint)ColumnCount) throw new ArgumentOutOfRangeException(nameof(column));
        int word = row * _wordsPerRow + (column >> 6);
        ulong bit = 1UL << (column & 63);
        if ((_known[word] & bit) == 0) return AttributeValue.Unknown;
        return (_positive[word] & bit) != 0 ? AttributeValue.Positive : AttributeValue.Negative;
    }

    public int PositiveCount(int row)
    {
        int count = 0;
        foreach (ulong word in _positive.AsSpan(row * _wordsPerRow, _wordsPerRow))
            count += System.Numerics.BitOperations.PopCount(word);
        return count;
    }

    /// <summary>Clears and returns the bitsets of the next row; it becomes part of the matrix only on <see cref="CommitRow"/>.</summary>
    public void BeginRow(out Span<ulong> known, out Span<ulong> positive)
    {
        int needed = (RowCount + 1) * _wordsPerRow;
        if (needed > _known.Length)
        {
            int capacity = Math.Max(needed, _known.Length * 2);
            Array.Resize(ref _known, capacity);
            Array.Resize(ref _positive, capacity);
        }
        known = _known.AsSpan(RowCount * _wordsPerRow, _wordsPerRow);
        positive = _positive.AsSpan(RowCount * _wordsPerRow, _wordsPerRow);
        known.Clear();
        positive.Clear();
    }

    /// <summary>Keeps the row filled since <see cref="BeginRow"/> and returns its index.</summary>
    public int CommitRow() => RowCount++;
}
