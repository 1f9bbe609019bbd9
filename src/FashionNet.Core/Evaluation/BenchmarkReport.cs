namespace FashionNet.Evaluation;

/// <summary>
/// The results of one evaluation run, as the <c>fashionnet evaluate</c> command writes them: which embedding or model,
/// which data, and the measures the benchmark allows (the others null).
/// </summary>
/// <param name="Model">The fingerprint of the embedder or model evaluated.</param>
/// <param name="Dataset">The dataset folder.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="ImageCount">Images evaluated.</param>
/// <param name="Retrieval">Retrieval hit rate and item recall, for the retrieval protocols.</param>
/// <param name="Category">Category top-k accuracy, where the images have category labels.</param>
/// <param name="Attributes">Attribute top-k recall, where the images have attribute labels.</param>
/// <param name="Landmarks">Landmark normalized error and detection rates, where the images have landmarks.</param>
/// <param name="Gating">How often the local branch pools each landmark slot, for a FashionNet that pools at its predictions.</param>
/// <param name="Features">How many units of a FashionNet's global and local features fire on the images.</param>
/// <param name="NeighbourCategory">
/// Category accuracy of a vote among each image's nearest training images by embedding (<see cref="NeighbourCategories"/>),
/// where asked for.
/// </param>
public sealed record BenchmarkReport(
    string Model,
    string Dataset,
    EvaluationProtocol Protocol,
    int ImageCount,
    RetrievalEvaluationResult? Retrieval = null,
    CategoryAccuracyResult? Category = null,
    AttributeRecallResult? Attributes = null,
    LandmarkErrorResult? Landmarks = null,
    LandmarkGatingResult? Gating = null,
    BranchActivity? Features = null,
    NeighbourCategoryResult? NeighbourCategory = null);
