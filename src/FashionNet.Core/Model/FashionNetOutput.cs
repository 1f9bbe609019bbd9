using static TorchSharp.torch;

namespace FashionNet.Model;

/// <summary>Everything one forward pass of <see cref="FashionNetModel"/> produces, for a batch of N images.</summary>
/// <param name="Embedding">L2-normalized fused feature <c>[N, EmbeddingSize]</c>: the retrieval embedding.</param>
/// <param name="GlobalFeature">Global branch feature <c>[N, GlobalFeatureSize]</c>.</param>
/// <param name="LocalFeature">Local branch feature <c>[N, LocalFeatureSize]</c> (<c>[N, 0]</c> when the branch is off).</param>
/// <param name="Landmarks">Predicted landmarks <c>[N, L, 2]</c>, (x, y) normalized by the image width and height, in (0, 1).</param>
/// <param name="VisibilityLogits">Visibility logits <c>[N, L]</c>: positive means visible.</param>
/// <param name="CategoryLogits">Category logits <c>[N, CategoryCount]</c>.</param>
/// <param name="AttributeLogits">Attribute logits <c>[N, AttributeCount]</c>.</param>
/// <param name="ItemSimilarities">
/// Cosine similarity of each embedding to each training item's learned proxy <c>[N, ItemCount]</c>, in [-1, 1]
/// (<c>[N, 0]</c> for a model without the item head, see <see cref="FashionNetOptions.ItemCount"/>).
/// </param>
public sealed record FashionNetOutput(
    Tensor Embedding,
    Tensor GlobalFeature,
    Tensor LocalFeature,
    Tensor Landmarks,
    Tensor VisibilityLogits,
    Tensor CategoryLogits,
    Tensor AttributeLogits,
    Tensor ItemSimilarities) : IDisposable
{
    /// <summary>Moves every tensor to the enclosing dispose scope (for outputs created inside an inner scope).</summary>
    public FashionNetOutput MoveToOuterDisposeScope()
    {
        foreach (var tensor in Tensors()) tensor.MoveToOuterDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in Tensors()) tensor.Dispose();
    }

    private IEnumerable<Tensor> Tensors()
    {
        yield return Embedding;
        yield return GlobalFeature;
        yield return LocalFeature;
        yield return Landmarks;
        yield return VisibilityLogits;
        yield return CategoryLogits;
        yield return AttributeLogits;
        yield return ItemSimilarities;
    }
}
