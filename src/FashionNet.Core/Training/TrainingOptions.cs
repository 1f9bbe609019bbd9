using System.Text.Json;
using System.Text.Json.Serialization;
using FashionNet.Model;

namespace FashionNet.Training;

/// <summary>The optimizers training can use.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with (Nesterov-free) momentum.</summary>
    Sgd,

    /// <summary>Adam with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>Learning-rate schedules, each a pure function of the optimizer step (so resuming needs no extra state).</summary>
public enum ScheduleKind
{
    /// <summary>The base rate throughout (after warm-up).</summary>
    Constant,

    /// <summary>Cosine decay from the base rate to <see cref="ScheduleOptions.FinalFraction"/> of it.</summary>
    Cosine,

    /// <summary>Multiply by <see cref="ScheduleOptions.StepFactor"/> every <see cref="ScheduleOptions.StepEvery"/> steps.</summary>
    Step,
}

/// <summary>Optimizer settings.</summary>
public sealed record OptimizerOptions
{
    /// <summary>Which optimizer.</summary>
    public OptimizerKind Kind { get; init; } = OptimizerKind.AdamW;

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Learning-rate multiplier for the (pretrained) backbone; the new branches and heads use the base rate.</summary>
    public double BackboneLearningRateFactor { get; init; } = 0.1;

    /// <summary>Momentum (SGD only).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Clip the global gradient norm to this value; 0 disables clipping.</summary>
    public double GradientClipNorm { get; init; } = 5.0;
}

/// <summary>Learning-rate schedule settings.</summary>
public sealed record ScheduleOptions
{
    /// <summary>The schedule's shape.</summary>
    public ScheduleKind Kind { get; init; } = ScheduleKind.Cosine;

    /// <summary>Steps of linear warm-up from 0 to the base rate.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Cosine: the final rate as a fraction of the base rate.</summary>
    public double FinalFraction { get; init; } = 0.05;

    /// <summary>Step: steps between decays.</summary>
    public int StepEvery { get; init; } = 1000;

    /// <summary>Step: the factor applied at each decay.</summary>
    public double StepFactor { get; init; } = 0.1;
}

/// <summary>One training stage.</summary>
public sealed record StageOptions
{
    /// <summary>Epochs of this stage.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>
    /// Loss weights of this stage by term name (<see cref="LossTermNames"/>); a term not named is off in this stage.
    /// In JSON an object, e.g. <c>{ "landmarks": 20, "visibility": 2, "triplet": 1 }</c>.
    /// </summary>
    public IReadOnlyDictionary<string, double> LossWeights { get; init; } = new Dictionary<string, double>();

    /// <summary>Multiplies the base learning rate in this stage (e.g. below 1 to fine-tune gently from stage 1).</summary>
    public double LearningRateFactor { get; init; } = 1;

    /// <summary>
    /// Train the auxiliary heads on their own layers only (<see cref="FashionNetModel.DetachAuxiliaryHeads"/>): the
    /// landmark, visibility, category and attribute terms then reach the pose branch's own layers and the category and
    /// attribute heads, not the shared trunk or the embedding, which learn from the triplet terms alone. Lets a stage
    /// weight those terms high without their gradients competing with retrieval in the shared layers.
    /// </summary>
    public bool DetachAuxiliaryHeads { get; init; }

    /// <summary>
    /// Keep the local branch's gradient out of the shared trunk (<see cref="FashionNetModel.DetachLocalBranch"/>): the
    /// retrieval terms train the local fc and the fusion, the trunk learns from the global branch's path alone. For a
    /// model whose global branch learns less beside the local one than alone.
    /// </summary>
    public bool DetachLocalBranch { get; init; }

    /// <summary>
    /// Images of the training's landmark data (<see cref="TrainingDataOptions.LandmarkDataset"/>) appended to every batch
    /// of this stage (<see cref="Data.Loading.MixedBatchSampler"/>); 0 (the default) appends none. They carry landmarks and
    /// nothing else, so only the landmark and visibility terms learn from them: a stage that trains retrieval on photos
    /// can keep the pose branch seeing garments those photos lack (the synthetic set's hanging sleeves, for one).
    /// </summary>
    public int LandmarkImagesPerBatch { get; init; }

    /// <summary>Whether this stage trains the term named <paramref name="term"/>: it has epochs and weights the term above 0.</summary>
    public bool UsesTerm(string term) => Epochs > 0 && LossWeights.GetValueOrDefault(term) > 0;

    /// <summary>Value equality, the loss weights compared by content (a record compares dictionaries by reference).</summary>
    public bool Equals(StageOptions? other) =>
        other is not null && Epochs == other.Epochs && LearningRateFactor.Equals(other.LearningRateFactor)
        && DetachAuxiliaryHeads == other.DetachAuxiliaryHeads && DetachLocalBranch == other.DetachLocalBranch
        && LandmarkImagesPerBatch == other.LandmarkImagesPerBatch && LossWeights.Count == other.LossWeights.Count
        && LossWeights.All(w => other.LossWeights.TryGetValue(w.Key, out double weight) && weight.Equals(w.Value));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Epochs, LearningRateFactor, DetachAuxiliaryHeads, DetachLocalBranch, LandmarkImagesPerBatch, LossWeights.Count);
}

/// <summary>
/// Everything that defines a training run, loadable from JSON (camelCase keys; unknown keys are errors) and
/// overridable from the command line. Two stages, as in the paper: stage 1 weights the landmark terms high, stage 2
/// starts from the best stage-1 model with its own weights (the defaults weight every term 1 there).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Seed of every random choice of the run (initialization, sampling, augmentation).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Items per P x K batch (P).</summary>
    public int ItemsPerBatch { get; init; } = 8;

    /// <summary>Images per item in a P x K batch (K).</summary>
    public int ImagesPerItem { get; init; } = 4;

    /// <summary>Optimizer settings, shared by both stages (each stage restarts its schedule).</summary>
    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>Learning-rate schedule of each stage.</summary>
    public ScheduleOptions Schedule { get; init; } = new();

    /// <summary>Stage 1: by default the landmark and visibility terms weighted 5, the others 1.</summary>
    public StageOptions Stage1 { get; init; } = new()
    {
        Epochs = 2,
        LossWeights = Weights((LossTermNames.Landmarks, 5), (LossTermNames.Visibility, 5), (LossTermNames.Category, 1), (LossTermNames.Attributes, 1), (LossTermNames.Triplet, 1)),
    };

    /// <summary>Stage 2: starts from the best stage-1 model; by default each of the paper's terms weighted 1.</summary>
    public StageOptions Stage2 { get; init; } = new() { Epochs = 4, LossWeights = Weights([.. LossTermNames.Paper.Select(name => (name, 1.0))]) };

    /// <summary>Triplet margin (Euclidean distance between L2-normalized embeddings).</summary>
    public double TripletMargin { get; init; } = 0.2;

    /// <summary>
    /// Temperature of the item term (<see cref="LossTermNames.Items"/>): the cosine similarities to the item proxies are
    /// divided by it before the softmax.
    /// </summary>
    public double ItemTemperature { get; init; } = FashionNetCriterion.DefaultItemTemperature;

    /// <summary>
    /// Where the item proxies of the item term (<see cref="LossTermNames.Items"/>) start stage 2:
    /// <see cref="ItemProxyStart.Random"/>, as the head was initialized, or <see cref="ItemProxyStart.ItemMeans"/>, each
    /// training item's mean embedding of its training photos under the model stage 2 starts from.
    /// </summary>
    public ItemProxyStart ItemProxies { get; init; } = ItemProxyStart.Random;

    /// <summary>
    /// Where the local branch pools while training (<see cref="FashionNetModel.TrainingLandmarks"/>):
    /// <see cref="LandmarkSource.GroundTruth"/>, a photo's true landmarks where it has them (predictions elsewhere), or
    /// <see cref="LandmarkSource.Predicted"/>, the pose branch's own, as in evaluation, so that the fused embedding
    /// learns from the landmarks it is tested with.
    /// </summary>
    public LandmarkSource TrainingLandmarks { get; init; } = LandmarkSource.GroundTruth;

    /// <summary>Whether some stage trains the term named <paramref name="term"/> (<see cref="StageOptions.UsesTerm"/>).</summary>
    public bool UsesTerm(string term) => Stage1.UsesTerm(term) || Stage2.UsesTerm(term);

    private static Dictionary<string, double> Weights(params (string Name, double Weight)[] weights) => weights.ToDictionary(w => w.Name, w => w.Weight);

    /// <summary>The options of one stage (1 or 2).</summary>
    public StageOptions StageOptions(int stage) => stage switch
    {
        1 => Stage1,
        2 => Stage2,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "Stages are 1 and 2."),
    };

    /// <summary>JSON settings of the configuration file format.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Loads and validates a configuration file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="FormatException">The file is not valid JSON for this schema, or a value is out of range; the message names the file, line and field.</exception>
    public static TrainingOptions Load(string path)
    {
        string json = File.ReadAllText(path);
        TrainingOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainingOptions>(json, JsonOptions)
                ?? throw new FormatException($"Config '{path}': the file holds no configuration object.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"Config '{path}', line {e.LineNumber + 1}: {e.Message}", e);
        }
        options.Validate(path);
        return options;
    }

    /// <summary>This configuration as JSON, in the file format <see cref="Load"/> reads.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Checks every value, throwing a <see cref="FormatException"/> that names the field.</summary>
    /// <param name="source">Where the configuration came from, for the message.</param>
    public void Validate(string source = "configuration")
    {
        void Require(bool condition, string field, string rule)
        {
            if (!condition) throw new FormatException($"Config '{source}': '{field}' {rule}.");
        }

        Require(ItemsPerBatch >= 2, "itemsPerBatch", "must be at least 2 (triplets need two items)");
        Require(ImagesPerItem >= 2, "imagesPerItem", "must be at least 2 (triplets need a positive)");
        Require(Optimizer.LearningRate > 0 && double.IsFinite(Optimizer.LearningRate), "optimizer.learningRate", "must be a positive number");
        Require(Optimizer.BackboneLearningRateFactor >= 0, "optimizer.backboneLearningRateFactor", "must not be negative");
        Require(Optimizer.Momentum is >= 0 and < 1, "optimizer.momentum", "must be in [0, 1)");
        Require(Optimizer.WeightDecay >= 0, "optimizer.weightDecay", "must not be negative");
        Require(Optimizer.GradientClipNorm >= 0, "optimizer.gradientClipNorm", "must not be negative (0 disables clipping)");
        Require(Schedule.WarmupSteps >= 0, "schedule.warmupSteps", "must not be negative");
        Require(Schedule.FinalFraction is >= 0 and <= 1, "schedule.finalFraction", "must be in [0, 1]");
        Require(Schedule.StepEvery >= 1, "schedule.stepEvery", "must be at least 1");
        Require(Schedule.StepFactor is > 0 and <= 1, "schedule.stepFactor", "must be in (0, 1]");
        Require(TripletMargin >= 0, "tripletMargin", "must not be negative");
        Require(ItemTemperature > 0 && double.IsFinite(ItemTemperature), "itemTemperature", "must be a positive number");
        Require(TrainingLandmarks is LandmarkSource.GroundTruth or LandmarkSource.Predicted, "trainingLandmarks", "must be groundTruth or predicted");
        Require(Enum.IsDefined(ItemProxies), "itemProxies", "must be random or itemMeans");
        Require(ItemProxies == ItemProxyStart.Random || Stage2.UsesTerm(LossTermNames.Items), "itemProxies",
            "itemMeans starts the proxies of the item term, which stage 2 does not train (weight stage2.lossWeights.items)");
        foreach (int stage in new[] { 1, 2 })
        {
            var s = StageOptions(stage);
            Require(s.Epochs >= 0, $"stage{stage}.epochs", "must not be negative");
            Require(s.LearningRateFactor > 0 && double.IsFinite(s.LearningRateFactor), $"stage{stage}.learningRateFactor", "must be a positive number");
            Require(s.LandmarkImagesPerBatch >= 0, $"stage{stage}.landmarkImagesPerBatch", "must not be negative");
            Require(s.LossWeights is not null, $"stage{stage}.lossWeights", "must be an object of weights by loss term");
            foreach (var (name, weight) in s.LossWeights!)
            {
                Require(LossTermNames.All.Contains(name), $"stage{stage}.lossWeights.{name}", $"is not a loss term (the terms are {string.Join(", ", LossTermNames.All)})");
                Require(weight >= 0 && double.IsFinite(weight), $"stage{stage}.lossWeights.{name}", "must be finite and not negative");
            }
        }
    }
}

/// <summary>Where the item term's proxies start stage 2 (<see cref="TrainingOptions.ItemProxies"/>).</summary>
public enum ItemProxyStart
{
    /// <summary>As the item head was initialized (or as stage 1 left them).</summary>
    Random,

    /// <summary>
    /// Each training item's mean embedding of its training photos, computed with the model stage 2 starts from (eval
    /// mode, evaluation framing), so the softmax over items starts from meaningful proxies instead of random ones.
    /// </summary>
    ItemMeans,
}
