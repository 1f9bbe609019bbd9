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

    private readonly Option<string[]> _lossWeights = new("--loss-weight")
    {
        Description = "A stage's weight of one loss term, STAGE.TERM=WEIGHT (e.g. stage2.globalTriplet=1; 0 switches the term off); repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int[]> _detachAuxiliaryHeads = StagesOption("--detach-auxiliary-heads",
        "In this stage (1 or 2) the landmark, visibility, category and attribute terms train the pose branch and the heads only, not the shared layers or the embedding; repeatable.");

    private readonly Option<int[]> _detachLocalBranch = StagesOption("--detach-local-branch",
        "In this stage (1 or 2) the local branch pools a detached map: the retrieval terms train its fc and the fusion, not the shared layers; repeatable.");

    public TrainingOverrides()
    {
        _trainingLandmarks.AcceptOnlyFromAmong("groundtruth", "predicted");
        _lossWeights.Validators.Add(result =>
        {
            foreach (string text in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ParseLossWeight(text) is { Error: { } error }) result.AddError($"--loss-weight '{text}': {error}");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _seed, _stage1Epochs, _stage2Epochs, _learningRate, _optimizer, _clip, _items, _images, _trainingLandmarks, _lossWeights, _detachAuxiliaryHeads, _detachLocalBranch })
            command.Options.Add(option);
    }

    /// <summary>A repeatable option whose values name training stages (1 or 2).</summary>
    private static Option<int[]> StagesOption(string name, string description)
    {
        var option = new Option<int[]>(name) { Description = description, AllowMultipleArgumentsPerToken = false };
        option.Validators.Add(result =>
        {
            foreach (int stage in result.GetValueOrDefault<int[]>() ?? [])
            {
                if (stage is not (1 or 2)) result.AddError($"{name} {stage}: the stages are 1 and 2.");
            }
        });
        return option;
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
            Stage1 = Stage(parse, 1, options.Stage1, parse.GetValue(_stage1Epochs)),
            Stage2 = Stage(parse, 2, options.Stage2, parse.GetValue(_stage2Epochs)),
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

    /// <summary>The stage's options with the command line's values for it applied.</summary>
    private StageOptions Stage(ParseResult parse, int stage, StageOptions options, int? epochs) => options with
    {
        Epochs = epochs ?? options.Epochs,
        LossWeights = LossWeights(parse, stage, options),
        DetachAuxiliaryHeads = options.DetachAuxiliaryHeads || (parse.GetValue(_detachAuxiliaryHeads) ?? []).Contains(stage),
        DetachLocalBranch = options.DetachLocalBranch || (parse.GetValue(_detachLocalBranch) ?? []).Contains(stage),
    };

    /// <summary>The stage's weights with the command line's <c>--loss-weight stageN.TERM=WEIGHT</c> values for it applied.</summary>
    private IReadOnlyDictionary<string, double> LossWeights(ParseResult parse, int stage, StageOptions options)
    {
        var weights = new Dictionary<string, double>(options.LossWeights);
        foreach (string text in parse.GetValue(_lossWeights) ?? [])
        {
            var (parsedStage, term, weight, _) = ParseLossWeight(text);
            if (parsedStage == stage) weights[term!] = weight;
        }
        return weights;
    }

    /// <summary>
    /// Reads <c>stage1.TERM=WEIGHT</c> or <c>stage2.TERM=WEIGHT</c>; the term must be a standard loss term and the weight
    /// finite and not negative. Error says what is wrong, for the option's message.
    /// </summary>
    private static (int Stage, string? Term, double Weight, string? Error) ParseLossWeight(string text)
    {
        int equals = text.IndexOf('='), dot = text.IndexOf('.');
        if (dot < 0 || equals < dot) return (0, null, 0, "expected STAGE.TERM=WEIGHT, e.g. stage2.globalTriplet=1");
        int stage = text[..dot] switch { "stage1" => 1, "stage2" => 2, _ => 0 };
        if (stage == 0) return (0, null, 0, $"the stage must be stage1 or stage2, got '{text[..dot]}'");
        string term = text[(dot + 1)..equals];
        if (!LossTermNames.All.Contains(term)) return (0, null, 0, $"'{term}' is not a loss term (the terms are {string.Join(", ", LossTermNames.All)})");
        if (!double.TryParse(text[(equals + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double weight)
            || !double.IsFinite(weight) || weight < 0)
            return (0, null, 0, $"the weight must be a finite number, not negative, got '{text[(equals + 1)..]}'");
        return (stage, term, weight, null);
    }
}
