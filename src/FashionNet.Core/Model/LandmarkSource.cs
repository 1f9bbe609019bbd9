namespace FashionNet.Model;

/// <summary>Which landmarks the local branch pools at.</summary>
public enum LandmarkSource
{
    /// <summary>The pose branch's predictions, gated by predicted visibility.</summary>
    Predicted,

    /// <summary>
    /// The ground-truth landmarks and visibility passed to the forward call, for samples that have at least one visible
    /// landmark; samples without any (or a call without ground truth) use the predictions.
    /// </summary>
    GroundTruth,

    /// <summary>
    /// No landmarks: every slot is gated off, so the local branch pools nothing from the image. A test-time ablation
    /// of a trained model: what the embedding loses without the local branch's evidence.
    /// </summary>
    None,
}
