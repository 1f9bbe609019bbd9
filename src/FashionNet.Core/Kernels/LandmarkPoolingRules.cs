namespace FashionNet.Kernels;

/// <summary>
/// The integer rules of landmark pooling, shared by every implementation so that all of them pool exactly the same
/// cells. See <see cref="LandmarkPooling"/> for the semantics they implement.
/// </summary>
internal static class LandmarkPoolingRules
{
    /// <summary>
    /// Factor from image pixels to feature cells along one axis, <c>extent / imageExtent</c> in float64. Implementations
    /// multiply the float32 coordinate, widened to float64, by it and floor the product.
    /// </summary>
    public static double CellScale(int extent, float imageExtent) => extent / (double)imageExtent;

    /// <summary>
    /// The feature cell of a coordinate, <c>floor(coordinate * cellScale)</c>, clamped to
    /// <c>[-windowSize, extent + windowSize]</c>: every cell beyond that range gives a window wholly outside the map,
    /// so the clamp changes no result and keeps far-away (finite) landmarks inside <see cref="int"/>.
    /// </summary>
    public static int Cell(float coordinate, double cellScale, int windowSize, int extent) =>
        (int)Math.Clamp(Math.Floor(coordinate * cellScale), -windowSize, extent + (double)windowSize);

    /// <summary>First window row (or column) of <paramref name="bin"/>: <c>floor(bin * K / P)</c>, RoIPool's rule in exact integer arithmetic.</summary>
    public static int BinStart(int bin, int windowSize, int bins) => bin * windowSize / bins;

    /// <summary>One past the last window row (or column) of <paramref name="bin"/>: <c>ceil((bin + 1) * K / P)</c>.</summary>
    public static int BinEnd(int bin, int windowSize, int bins) => ((bin + 1) * windowSize + bins - 1) / bins;
}
