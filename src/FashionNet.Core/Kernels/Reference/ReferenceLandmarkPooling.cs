using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels.Reference;

/// <summary>
/// Landmark pooling as plain tensor operations differentiated by autograd: the oracle of the kernels and the
/// benchmark baseline. Every landmark's unclipped K x K window is gathered at once (cells outside the map are masked
/// to -inf and their validity tracked separately), then each of the P x P bins, which sit at the same window offsets
/// for every landmark, is max-reduced. <c>max</c> returns the first maximum, so ties and gradients follow the
/// kernels' row-major rule; gather's backward scatter-adds where windows overlap.
/// </summary>
internal static class ReferenceLandmarkPooling
{
    /// <summary>features <c>[N,C,H,W]</c> (float32 or float64), landmarks <c>[N,L,2]</c> float32, visibility <c>[N,L]</c>; validated by the caller.</summary>
    public static Tensor Forward(Tensor features, Tensor landmarks, Tensor visibility, in LandmarkPoolingGeometry g)
    {
        using var scope = NewDisposeScope();
        var device = features.device;
        var (n, c, h, w, l, k, p) = (g.Batch, g.Channels, g.Height, g.Width, g.Landmarks, g.WindowSize, g.Bins);

        // Window rows and columns [N, L, K] around each landmark's cell, by the kernels' float64 rule (LandmarkPoolingRules.Cell).
        var offsets = arange(k, dtype: ScalarType.Int64, device: device) - k / 2;
        var rows = WindowLines(landmarks[.., .., 1], k, h, offsets);
        var cols = WindowLines(landmarks[.., .., 0], k, w, offsets);
        var inside = ((rows >= 0) & (rows < h)).unsqueeze(-1) & ((cols >= 0) & (cols < w)).unsqueeze(-2); // [N, L, K, K]
        var flatCells = rows.clamp(0, h - 1).unsqueeze(-1) * w + cols.clamp(0, w - 1).unsqueeze(-2);

        var windows = features.flatten(2)
            .gather(2, flatCells.reshape(n, 1, l * k * k).expand(n, c, l * k * k))
            .view(n, c, l, k, k)
            .permute(0, 2, 1, 3, 4) // [N, L, C, K, K]
            .masked_fill(inside.logical_not().unsqueeze(2), double.NegativeInfinity);
        var visible = (visibility != 0).view(n, l, 1);

        var pooled = new List<Tensor>(p * p);
        for (var binY = 0; binY < p; binY++)
        {
            var rowRange = LandmarkPoolingRules.BinStart(binY, k, p)..LandmarkPoolingRules.BinEnd(binY, k, p);
            for (var binX = 0; binX < p; binX++)
            {
                var colRange = LandmarkPoolingRules.BinStart(binX, k, p)..LandmarkPoolingRules.BinEnd(binX, k, p);
                var binMax = windows[.., .., .., rowRange, colRange].flatten(3).max(3).values; // [N, L, C]
                var binInside = inside[.., .., rowRange, colRange].flatten(2).any(2).view(n, l, 1);
                pooled.Add(where(binInside & visible, binMax, zeros_like(binMax)));
            }
        }
        return scope.MoveToOuter(stack(pooled, -1).view(n, l, c, p, p));
    }

    /// <summary>Window line indices <c>[N, L, K]</c> along one axis: the landmark's cell plus the centred offsets.</summary>
    private static Tensor WindowLines(Tensor coordinates, int windowSize, int extent, Tensor offsets)
    {
        var cells = (coordinates.to(ScalarType.Float64) * extent).floor()
            .clamp(-windowSize, extent + windowSize)
            .to(ScalarType.Int64);
        return cells.unsqueeze(-1) + offsets;
    }
}
