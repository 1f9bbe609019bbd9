using System.CommandLine;
using FashionNet.Model;
using FashionNet.Training;

namespace FashionNet.Cli.Commands;

/// <summary>Command-line options that override single values of a <see cref="TrainingOptions"/> configuration.</summary>
internal sealed class TrainingOverrides
{
    private readonly Option<int?> _seed = new("--seed") { Description = "Seed of every random choice." };
    private readonly Option<int?> _stage1Epochs = new("--stage1-epochs") { Description = "Epochs of stage 1 (landmarks weighted high)." };
    private readonly Option<int?> _stage2Epochs = new("--stage2-epochs") { Description = "Epochs of stage 2 (retrieval, from the best stage-1 model)." };
    private readonly Option<double?> _learningRate = new("--lr") { Description = "Base learning rate." };
    private readonly Option<OptimizerKind?> _optimizer = new("--optimizer") { Description = "sgd or adamw." };
    private readonly Option<double?> _clip = new("--clip") { Description = "Gradient norm clip (0 disables)." };
    private readonly Option<int?> _items = new("--items-per-batch") { Description = "P: items per batch." };
    private readonly Option<int?> _images = new("--images-per-item") { Description = "K: images per item in a batch." };
    private readonly Option<LandmarkSource?> _trainingLandmarks = new("--training-landmarks")
    {
        Description = "Where the local branch pools while training: groundtruth (a photo's true landmarks where it has them) or predicted (the pose branch's, as in evaluation).",
    };

    public TrainingOverrides() => _trainingLandmarks.AcceptOnlyFromAmong("groundtruth", "predicted");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _seed, _stage1Epochs, _stage2Epochs, _learningRate, _optimizer, _clip, _items, _images, _trainingLandmarks })
            command.Options.Add(option);
    }

    /// <summary>The configuration with every given override applied, validated.</summary>
    public TrainingOptions Apply(ParseResult parse, TrainingOptions options)
    {
        var result = options with
        {
            Seed = parse.GetValue(_seed) ?? options.Seed,
            ItemsPerBatch = parse.GetValue(_items) ?? options.ItemsPerBatch,
            ImagesPerItem = parse.GetValue(_images) ?? options.ImagesPerItem,
            TrainingLandmarks = parse.GetValue(_trainingLandmarks) ?? options.TrainingLandmarks,
            Stage1 = options.Stage1 with { Epochs = parse.GetValue(_stage1Epochs) ?? options.Stage1.Epochs },
            Stage2 = options.Stage2 with { Epochs = parse.GetValue(_stage2Epochs) ?? options.Stage2.Epochs },
            Optimizer = options.Optimizer with
            {
                LearningRate = parse.GetValue(_learningRate) ?? options.Optimizer.LearningRate,
                Kind = parse.GetValue(_optimizer) ?? options.Optimizer.Kind,
                GradientClipNorm = parse.GetValue(_clip) ?? options.Optimizer.GradientClipNorm,
            },
        };
        result.Validate("command line");
        return result;
    }
}
