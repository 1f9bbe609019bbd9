using System.IO.Hashing;
using System.Text;

namespace FashionNet.Retrieval;

/// <summary>
/// Part <see cref="Index"/> of <see cref="Count"/> disjoint parts of a gallery, so that several processes or machines can
/// embed and load one gallery at once. An image belongs to one part, chosen by a hash of its key (the image path relative
/// to the dataset root, which is the same on every machine), so the split does not depend on order, machine or run.
/// </summary>
public readonly record struct GalleryShard
{
    /// <summary>A shard of <paramref name="count"/> parts.</summary>
    /// <param name="index">The part, 0-based.</param>
    /// <param name="count">How many parts.</param>
    public GalleryShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        Index = index;
        Count = count;
    }

    /// <summary>The whole gallery: one part.</summary>
    public static GalleryShard All { get; } = new(0, 1);

    /// <summary>The part, 0-based.</summary>
    public int Index { get; }

    /// <summary>How many parts.</summary>
    public int Count { get; }

    /// <summary>Reads <c>i/n</c> (e.g. <c>0/2</c>, the first of two parts).</summary>
    /// <exception cref="FormatException">The text is not <c>i/n</c> with <c>0 &lt;= i &lt; n</c>.</exception>
    public static GalleryShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int index) && int.TryParse(parts[1], out int count) && count >= 1 && index >= 0 &&
            index < count)
            return new GalleryShard(index, count);
        throw new FormatException($"Shard '{text}' is not 'i/n' with 0 <= i < n (e.g. 0/2 and 1/2 split a gallery in two).");
    }

    /// <summary>Whether the image with this key belongs to this part.</summary>
    /// <param name="key">A key that names the image the same way on every machine: its path relative to the dataset root.</param>
    public bool Contains(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // default(GalleryShard) has Count 0: the whole gallery, like All.
        return Count <= 1 || (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)Count) == Index;
    }

    /// <summary>The shard as <c>i/n</c>.</summary>
    public override string ToString() => $"{Index}/{Count}";
}
