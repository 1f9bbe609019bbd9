using System.Diagnostics;
using FashionNet.Checkpoints;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Training;

/// <summary>Computes validation metrics of a model between epochs; the trainer keeps the best model by one of them.</summary>
public interface IModelValidator
{
    /// <summary>The metric (a key of <see cref="Validate"/>'s result, higher is better) that selects the best model.</summary>
    string SelectionMetric { get; }

    /// <summary>Evaluates the model (the trainer has put it in evaluation mode) and returns named metrics.</summary>
    IReadOnlyDictionary<string, double> Validate(FashionNetModel model, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="candidate"/>'s metrics make a better model than <paramref name="best"/>'s: by default a higher <see cref="SelectionMetric"/>.</summary>
    bool Improves(IReadOnlyDictionary<string, double> candidate, IReadOnlyDictionary<string, double> best) =>
        candidate[SelectionMetric] > best[SelectionMetric];
}

/// <summary>Where a run writes its files, and how it reports progress.</summary>
public sealed record TrainingRunOptions
{
    /// <summary>The run folder: <c>config.json</c>, <c>metrics.jsonl</c>, <c>last.ckpt</c>, <c>best-stage1.ckpt</c>, <c>best.ckpt</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>Continue from the run folder's <c>last.ckpt</c> instead of starting over.</summary>
    public bool Resume { get; init; }

    /// <summary>Called with every log entry as it is written (for a progress display).</summary>
    public Action<TrainingLogEntry>? OnLogEntry { get; init; }

    /// <summary>Called before each epoch with (stage, epoch, batches in the epoch).</summary>
    public Action<int, int, int>? OnEpochStart { get; init; }

    /// <summary>Called for every training image left out because it could not be read (with <see cref="DataLoaderOptions.SkipBadImages"/>).</summary>
    public Action<SkippedImage>? OnSkippedImage { get; init; }

    /// <summary>Path of the latest checkpoint.</summary>
    public string LastCheckpoint => Path.Combine(Directory, "last.ckpt");

    /// <summary>Path of the best checkpoint of a stage (stage 2's is the run's result, <c>best.ckpt</c>).</summary>
    public string BestCheckpoint(int stage) => Path.Combine(Directory, stage == 1 ? "best-stage1.ckpt" : "best.ckpt");

    /// <summary>Path of the metrics log.</summary>
    public string MetricsLog => Path.Combine(Directory, "metrics.jsonl");

    /// <summary>Path of the run's summary, written when a run completes (<see cref="TrainingSummary"/> as JSON).</summary>
    public string SummaryFile => Path.Combine(Directory, "summary.json");
}

/// <summary>What a run achieved.</summary>
/// <param name="BestCheckpoint">The checkpoint to use: the best of the last stage that trained.</param>
/// <param name="BestMetrics">Validation metrics of that checkpoint (empty without a validator).</param>
/// <param name="Steps">Optimizer steps taken in this call (resumed runs count only the new ones).</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="Resumed">Whether this call continued an interrupted run (then <paramref name="Steps"/> and <paramref name="Elapsed"/> cover only this call).</param>
public sealed record TrainingSummary(string BestCheckpoint, IReadOnlyDictionary<string, double> BestMetrics, long Steps, TimeSpan Elapsed, bool Resumed = false)
{
    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
    };

    /// <summary>This summary as JSON (camelCase), as runs write it to <see cref="TrainingRunOptions.SummaryFile"/>.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a summary written by a run.</summary>
    /// <exception cref="InvalidDataException">The file is not a training summary; the message names it.</exception>
    public static TrainingSummary Read(string path)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<TrainingSummary>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"'{path}' holds no training summary.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a training summary: {e.Message}", e);
        }
    }
}

/// <summary>
/// FashionNet's two-stage training: stage 1 weights the landmark terms high, stage 2 starts from the best stage-1
/// model with its own weights. Each step runs in its own dispose scope; each epoch ends with validation, a metrics
/// log entry and an atomic checkpoint, so a run can be resumed exactly: all randomness is derived from the seed, the
/// stage and the epoch, the learning rate from the step, and the checkpoint holds the optimizer and torch RNG state.
/// </summary>
public sealed class FashionNetTrainer
{
    private readonly FashionNetModel _model;
    private readonly IImageNormalizer _normalizer;
    private readonly TrainingOptions _options;
    private readonly FashionDataLoader _loader;
    private readonly FashionNetCriterion _criterion;
    private readonly IModelValidator? _validator;
    private readonly string _modelFingerprint;

    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The model to train, already initialized (e.g. with ImageNet weights).</param>
    /// <param name="normalizer">The input normalization of the model's backbone (what the loader applies); stored in every checkpoint.</param>
    /// <param name="options">The run's configuration.</param>
    /// <param name="loader">Training batches, P x K sampled; its epoch argument is the trainer's epoch key.</param>
    /// <param name="criterion">The objective.</param>
    /// <param name="validator">Validation between epochs, or null to keep the last model as the best.</param>
    /// <param name="modelFingerprint">Identifies the architecture in checkpoints; resuming checks it.</param>
    public FashionNetTrainer(FashionNetModel model, IImageNormalizer normalizer, TrainingOptions options, FashionDataLoader loader, FashionNetCriterion criterion,
        IModelValidator? validator, string modelFingerprint)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _normalizer = normalizer ?? throw new ArgumentNullException(nameof(normalizer));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
        _criterion = criterion ?? throw new ArgumentNullException(nameof(criterion));
        foreach (int stage in new[] { 1, 2 }) _criterion.ValidateWeights(_options.StageOptions(stage).LossWeights, $"stage{stage}.lossWeights");
        _validator = validator;
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFingerprint);
        _modelFingerprint = modelFingerprint;
    }

    /// <summary>The training batches of stage 2, and of stage 1 when <see cref="Stage1Loader"/> is null.</summary>
    public FashionDataLoader Loader => _loader;

    /// <summary>
    /// Training batches of stage 1 when it trains on other data than stage 2 (see
    /// <see cref="TrainingDataOptions.Stage1Dataset"/>); null: the constructor's loader serves both stages.
    /// </summary>
    public FashionDataLoader? Stage1Loader { get; init; }

    /// <summary>
    /// The training photos in evaluation framing, for <see cref="ItemProxyStart.ItemMeans"/>
    /// (<see cref="TrainingOptions.ItemProxies"/>); <see cref="FashionNetTraining.Create"/> sets it when the option asks.
    /// </summary>
    public FashionDataLoader? ItemProxyLoader { get; init; }

    /// <summary>The sampler/loader epoch key of an epoch: distinct per stage, so stage 2 does not replay stage 1's order.</summary>
    public static int EpochKey(int stage, int epoch) => stage * 100_000 + epoch;

    /// <summary>Runs (or resumes) both stages.</summary>
    /// <param name="run">Run folder and progress callbacks.</param>
    /// <param name="cancellationToken">Stops after the current step; the last completed epoch's checkpoint remains.</param>
    public TrainingSummary Run(TrainingRunOptions run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(run.Directory);
        TrainingProgress? resumeFrom = run.Resume ? ResumePoint(run) : null;
        if (resumeFrom is null)
        {
            foreach (string stale in new[] { run.MetricsLog, run.LastCheckpoint, run.BestCheckpoint(1), run.BestCheckpoint(2), run.SummaryFile })
                File.Delete(stale);
            IO.AtomicFile.WriteAllText(Path.Combine(run.Directory, "config.json"), _options.ToJson());
        }

        using var log = new TrainingLog(run.MetricsLog);
        long steps = 0;
        string best = run.LastCheckpoint;
        IReadOnlyDictionary<string, double> bestMetrics = new Dictionary<string, double>();
        foreach (int stage in new[] { 1, 2 })
        {
            if (resumeFrom is not null && stage < resumeFrom.Stage) { best = run.BestCheckpoint(stage); continue; }
            var stageOptions = _options.StageOptions(stage);
            if (stageOptions.Epochs == 0) continue;
            var outcome = RunStage(stage, stageOptions, run, log, resumeFrom?.Stage == stage ? resumeFrom : null, cancellationToken);
            steps += outcome.Steps;
            (best, bestMetrics) = (outcome.BestCheckpoint, outcome.BestMetrics);
        }
        var summary = new TrainingSummary(best, bestMetrics, steps, clock.Elapsed, resumeFrom is not null);
        IO.AtomicFile.WriteAllText(run.SummaryFile, summary.ToJson());
        return summary;
    }

    private TrainingProgress ResumePoint(TrainingRunOptions run)
    {
        if (!File.Exists(run.LastCheckpoint))
            throw new FileNotFoundException($"Cannot resume: '{run.LastCheckpoint}' does not exist (no epoch of this run completed).", run.LastCheckpoint);
        var metadata = CheckpointFile.ReadMetadata(run.LastCheckpoint);
        if (metadata.ModelFingerprint != _modelFingerprint)
            throw new CheckpointFormatException(run.LastCheckpoint, $"it belongs to model '{metadata.ModelFingerprint}', not '{_modelFingerprint}'.");
        return metadata.Progress;
    }

    private (long Steps, string BestCheckpoint, IReadOnlyDictionary<string, double> BestMetrics) RunStage(
        int stage, StageOptions stageOptions, TrainingRunOptions run, TrainingLog log, TrainingProgress? resumeFrom, CancellationToken cancellationToken)
    {
        using var optimizer = CreateOptimizer();
        var progress = new TrainingProgress(stage, 0, 0, null);
        if (resumeFrom is not null)
        {
            CheckpointFile.Resume(run.LastCheckpoint, _model, optimizer, _modelFingerprint);
            progress = resumeFrom;
        }
        else if (stage == 2 && File.Exists(run.BestCheckpoint(1)))
        {
            // Stage 2 starts from the best stage-1 weights with a fresh optimizer, as in the paper.
            CheckpointFile.LoadWeights(run.BestCheckpoint(1), _model, _modelFingerprint);
        }
        if (stage == 2 && resumeFrom is null && _options.ItemProxies == ItemProxyStart.ItemMeans)
            StartItemProxiesAtItemMeans(cancellationToken);

        _model.DetachAuxiliaryHeads = stageOptions.DetachAuxiliaryHeads;
        _model.DetachLocalBranch = stageOptions.DetachLocalBranch;
        var loader = stage == 1 && Stage1Loader is not null ? Stage1Loader : _loader;
        int batchesPerEpoch = loader.BatchCount(EpochKey(stage, 0));
        var schedule = new LearningRateSchedule(_options.Schedule, _options.Optimizer.LearningRate * stageOptions.LearningRateFactor,
            (long)batchesPerEpoch * stageOptions.Epochs);
        IReadOnlyDictionary<string, double> bestMetrics = resumeFrom is not null && File.Exists(run.BestCheckpoint(stage))
            ? CheckpointFile.ReadMetadata(run.BestCheckpoint(stage)).Metrics ?? new Dictionary<string, double>()
            : new Dictionary<string, double>();
        long stepsTaken = 0;

        for (int epoch = progress.Epoch; epoch < stageOptions.Epochs; epoch++)
        {
            int key = EpochKey(stage, epoch);
            run.OnEpochStart?.Invoke(stage, epoch + 1, loader.BatchCount(key));
            // Each loss term averages over the batches that had it (a term is absent where a batch lacks its labels).
            var sums = new Dictionary<string, (double Sum, int Batches)>();
            int skippedImages = 0;
            _model.train();
            foreach (var batch in loader.ReadEpoch(key, cancellationToken))
            {
                using (batch)
                {
                    skippedImages += batch.SkippedImages.Count;
                    foreach (var skipped in batch.SkippedImages) run.OnSkippedImage?.Invoke(skipped);
                    if (batch.Count == 0) continue;
                    var values = Step(batch, optimizer, schedule.RateAt(progress.GlobalStep), stageOptions.LossWeights);
                    progress = progress with { GlobalStep = progress.GlobalStep + 1 };
                    stepsTaken++;
                    foreach (var (name, value) in values.Where(v => v.Key.StartsWith("loss", StringComparison.Ordinal)))
                    {
                        var (sum, count) = sums.GetValueOrDefault(name);
                        sums[name] = (sum + value, count + 1);
                    }
                    Append(log, run, new TrainingLogEntry(TrainingLogKind.Step, stage, epoch + 1, progress.GlobalStep, values));
                }
                cancellationToken.ThrowIfCancellationRequested();
            }

            var epochValues = sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Batches);
            if (loader.Options.SkipBadImages) epochValues["skipped_images"] = skippedImages;
            IReadOnlyDictionary<string, double> metrics = new Dictionary<string, double>();
            if (_validator is not null)
            {
                _model.eval();
                metrics = _validator.Validate(_model, cancellationToken);
                foreach (var (name, value) in metrics) epochValues[name] = value;
            }
            Append(log, run, new TrainingLogEntry(TrainingLogKind.Epoch, stage, epoch + 1, progress.GlobalStep, epochValues));

            double? score = null;
            if (_validator is not null)
            {
                score = metrics.TryGetValue(_validator.SelectionMetric, out double value) ? value
                    : throw new InvalidOperationException($"The validator returned no '{_validator.SelectionMetric}', the metric that selects the best model.");
            }
            bool improved = _validator is null || !bestMetrics.ContainsKey(_validator.SelectionMetric) || _validator.Improves(metrics, bestMetrics);
            progress = progress with { Epoch = epoch + 1, BestMetric = improved ? score : progress.BestMetric };
            var metadata = new CheckpointMetadata(_modelFingerprint, _options.ToJson(), progress, DateTimeOffset.UtcNow, metrics);
            if (improved)
            {
                CheckpointFile.Save(run.BestCheckpoint(stage), _model, _normalizer, optimizer: null, metadata);
                bestMetrics = metrics;
            }
            CheckpointFile.Save(run.LastCheckpoint, _model, _normalizer, optimizer, metadata);
        }
        return (stepsTaken, run.BestCheckpoint(stage), bestMetrics);
    }

    private Dictionary<string, double> Step(FashionBatch batch, OptimizerHelper optimizer, double learningRate, IReadOnlyDictionary<string, double> weights)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate * group.InitialLearningRate / _options.Optimizer.LearningRate;
        optimizer.zero_grad();

        // The batch comes from the loader on the host; the step runs where the model is.
        using var onDevice = batch.To(_model.Device);
        using var output = _model.call(onDevice.Images, onDevice.Landmarks);
        var loss = _criterion.Compute(output, onDevice, weights);
        loss.Total.backward();
        if (_options.Optimizer.GradientClipNorm > 0)
            nn.utils.clip_grad_norm_(_model.parameters().Where(p => p.requires_grad), _options.Optimizer.GradientClipNorm);
        optimizer.step();

        // One device-to-host copy for everything the log reports: an item() per term would wait for the device each time.
        string[] names = [.. loss.Terms.Keys];
        using var reported = stack([loss.Total.detach(), .. names.Select(name => loss.Terms[name].detach())]).to(ScalarType.Float64).cpu();
        double[] numbers = reported.data<double>().ToArray();
        var values = new Dictionary<string, double> { ["loss"] = numbers[0], ["lr"] = learningRate };
        for (int i = 0; i < names.Length; i++) values[$"loss/{names[i]}"] = numbers[i + 1];
        values["images_per_second"] = batch.Count / clock.Elapsed.TotalSeconds;
        return values;
    }

    /// <summary>Sets each training item's proxy to the direction of its photos' summed embeddings under the current model.</summary>
    private void StartItemProxiesAtItemMeans(CancellationToken cancellationToken)
    {
        var loader = ItemProxyLoader
            ?? throw new InvalidOperationException($"itemProxies {ItemProxyStart.ItemMeans} needs the trainer's {nameof(ItemProxyLoader)} (FashionNetTraining.Create sets it).");
        using var scope = NewDisposeScope();
        var device = _model.Device;
        var sums = zeros([_model.Options.ItemCount, _model.Options.EmbeddingSize], device: device);
        _model.eval();
        try
        {
            BatchInference.Run(loader, batch =>
            {
                var withItem = (batch.ItemIndices >= 0).nonzero().squeeze(1);
                var embeddings = _model.Embed(batch.Images.to(device)).index_select(0, withItem.to(device));
                sums.index_add_(0, batch.ItemIndices.index_select(0, withItem).to(device), embeddings, 1);
            }, cancellationToken);
        }
        finally
        {
            _model.train();
        }
        _model.SetItemProxies(sums);
    }

    private OptimizerHelper CreateOptimizer() => CreateOptimizer(_model, _options.Optimizer);

    /// <summary>
    /// The optimizer training uses for <paramref name="model"/>: two parameter groups, the new branches and heads at the
    /// base learning rate and the backbone at <see cref="OptimizerOptions.BackboneLearningRateFactor"/> times it (each
    /// step then scales both by the schedule), frozen parameters left out.
    /// </summary>
    /// <param name="model">The model to train.</param>
    /// <param name="o">The optimizer settings.</param>
    public static OptimizerHelper CreateOptimizer(FashionNetModel model, OptimizerOptions o)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(o);
        var backbone = model.Backbone.parameters().Where(p => p.requires_grad).ToList();
        var backboneSet = new HashSet<Parameter>(backbone, ReferenceEqualityComparer.Instance);
        var heads = model.parameters().Where(p => p.requires_grad && !backboneSet.Contains(p)).ToList();
        double backboneRate = o.LearningRate * o.BackboneLearningRateFactor;
        return o.Kind switch
        {
            OptimizerKind.Sgd => optim.SGD(
                new[] { new SGD.ParamGroup(heads, o.LearningRate, o.Momentum, 0, o.WeightDecay, false, false),
                        new SGD.ParamGroup(backbone, backboneRate, o.Momentum, 0, o.WeightDecay, false, false) },
                o.LearningRate, o.Momentum, 0, o.WeightDecay),
            OptimizerKind.AdamW => optim.AdamW(
                new[] { new AdamW.ParamGroup(heads, o.LearningRate, 0.9, 0.999, 1e-8, o.WeightDecay, false, false),
                        new AdamW.ParamGroup(backbone, backboneRate, 0.9, 0.999, 1e-8, o.WeightDecay, false, false) },
                o.LearningRate, weight_decay: o.WeightDecay),
            _ => throw new InvalidOperationException($"Unknown optimizer {o.Kind}."),
        };
    }

    private static void Append(TrainingLog log, TrainingRunOptions run, TrainingLogEntry entry)
    {
        log.Append(entry);
        run.OnLogEntry?.Invoke(entry);
    }
}
