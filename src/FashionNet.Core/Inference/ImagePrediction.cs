using FashionNet.Data;

namespace FashionNet.Inference;

/// <summary>One landmark slot as the pose branch predicts it for an image.</summary>
/// <param name="Slot">The slot.</param>
/// <param name="X">Predicted x over the network input's width, in (0, 1).</param>
/// <param name="Y">Predicted y over the network input's height, in (0, 1).</param>
/// <param name="VisibilityProbability">Predicted probability that the landmark is visible.</param>
/// <param name="Visible">Whether the probability passes the model's threshold (the local branch pools at it).</param>
public readonly record struct PredictedLandmark(LandmarkSlot Slot, float X, float Y, float VisibilityProbability, bool Visible);

/// <summary>A category class with its predicted probability.</summary>
/// <param name="Label">1-based category label (DeepFashion's numbering; the class index plus one).</param>
/// <param name="Probability">Softmax probability of the class.</param>
public readonly record struct CategoryScore(int Label, float Probability);

/// <summary>What one forward pass of a FashionNet says about one image.</summary>
/// <param name="Embedding">The L2-normalized retrieval embedding.</param>
/// <param name="Landmarks">Every landmark slot, in slot order.</param>
/// <param name="TopCategories">The most probable categories, best first.</param>
public sealed record ImagePrediction(float[] Embedding, IReadOnlyList<PredictedLandmark> Landmarks, IReadOnlyList<CategoryScore> TopCategories);
