using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>Distances between embeddings.</summary>
public static class Distances
{
    /// <summary>Below this squared distance the square root is taken of the floor instead (its gradient at 0 is infinite).</summary>
    private const double SquaredFloor = 1e-12;

    /// <summary>Euclidean distances between rows of <paramref name="x"/> <c>[N, D]</c> and rows of <paramref name="y"/> <c>[M, D]</c>: <c>[N, M]</c>.</summary>
    public static Tensor PairwiseEuclidean(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var squared = x.square().sum(1, keepdim: true) + y.square().sum(1).unsqueeze(0) - 2 * x.matmul(y.t());
        return squared.clamp_min(SquaredFloor).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>Euclidean distances between matching rows of <paramref name="x"/> and <paramref name="y"/> <c>[N, D]</c>: <c>[N]</c>.</summary>
    public static Tensor RowEuclidean(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return (x - y).square().sum(1).clamp_min(SquaredFloor).sqrt().MoveToOuterDisposeScope();
    }
}
