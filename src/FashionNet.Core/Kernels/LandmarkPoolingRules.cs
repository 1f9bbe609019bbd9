namespace FashionNet.Kernels;

/// <summary>
/// The integer rules of landmark pooling, shared by every implementation so that all of them pool exactly the same
/// cells. See <see cref="LandmarkPooling"/> for the semantics they implement.
/// </summary>
internal static class LandmarkPoolingRules
{
    /// <summary>
    /// The feature cell of a normalized coordinate, <c>floor(coordinate * extent)</c> evaluated in float64 (every
    /// implementation, CPU and GPU, does the same): the product of a float32 and an int is exact in float64, so a
    /// landmark exactly on a cell boundary always lands in the cell that starts there.
    /// Clamped to <c>[-windowSize, extent + windowSize]</c>: every cell beyond that range gives a window wholly outside
    /// the map, so the clamp changes no result and keeps far-away (finite) landmarks inside <see cref="int"/>.
    /// </summary>
    public static int Cell(float coordinate, int extent, int windowSize) =>
        (int)Math.Clamp(Math.Floor((double)coordinate * extent), -windowSize, extent + (double)windowSize);

    /// <summary>First window row (or column) of <paramref name="bin"/>: <c>floor(bin * K / P)</c>, RoIPool's rule in exact integer arithmetic.</summary>
    public static int BinStart(int bin, int windowSize, int bins) => bin * windowSize / bins;

    /// <summary>One past the last window row (or column) of <paramref name="bin"/>: <c>ceil((bin + 1) * K / P)</c>.</summary>
    public static int BinEnd(int bin, int windowSize, int bins) => ((bin + 1) * windowSize + bins - 1) / bins;
}
