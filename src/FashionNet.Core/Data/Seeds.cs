namespace FashionNet.Data;

/// <summary>
/// Derives independent, reproducible seeds for sub-streams (an item, a view, an epoch, a batch position) from a user
/// seed with SplitMix64 mixing. Stable across runs, processes and platforms (unlike <see cref="HashCode"/>), so
/// results never depend on the order or the thread in which streams are used.
/// </summary>
internal static class Seeds
{
    public static int Derive(int seed, long stream, long substream = 0, long position = 0)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL);
        z = Mix(z ^ unchecked((ulong)stream * 0xBF58476D1CE4E5B9UL));
        z = Mix(z ^ unchecked((ulong)substream * 0x94D049BB133111EBUL));
        z = Mix(z ^ unchecked((ulong)position * 0xD6E8FEB86659FD93UL));
        return (int)(z & int.MaxValue);
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked(z + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
