using System.Diagnostics;
using FashionNet.Data.Loading;
using FashionNet.Model;
using FashionNet.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// One FashionNet training step on a fixed batch, as <see cref="FashionNetTrainer"/> takes it: forward with the batch's
/// landmarks, the criterion's weighted terms, backward, gradient clipping, an optimizer step (from
/// <see cref="FashionNetTrainer.CreateOptimizer"/>), all in one dispose scope. The learning rates stay at their base
/// values (the schedule changes no work).
/// </summary>
internal sealed class TrainStepWorkload : IDisposable
{
    private readonly FashionNetModel _model;
    private readonly FashionNetCriterion _criterion;
    private readonly OptimizerHelper _optimizer;
    private readonly TrainingOptions _options;
    private readonly IReadOnlyDictionary<string, double> _weights;
    private readonly Tensor _images;

    /// <param name="model">The model (owned: disposed with the workload); switched to training mode.</param>
    /// <param name="batch">The batch (not owned).</param>
    /// <param name="options">Optimizer settings, triplet margin and stage-2 loss weights.</param>
    /// <param name="images">The images to feed (the batch's, or a copy in another memory format).</param>
    public TrainStepWorkload(FashionNetModel model, FashionBatch batch, TrainingOptions options, Tensor images)
    {
        _model = model;
        Batch = batch;
        _options = options;
        _images = images;
        _weights = options.Stage2.LossWeights;
        _criterion = FashionNetCriterion.Standard(options.TripletMargin, attributeWeights: null);
        _criterion.ValidateWeights(_weights, "stage2.lossWeights");
        _optimizer = FashionNetTrainer.CreateOptimizer(model, options.Optimizer);
        model.train();
    }

    /// <summary>The batch every step trains on.</summary>
    public FashionBatch Batch { get; }

    /// <summary>The criterion's terms, in computation order.</summary>
    public IReadOnlyList<string> TermNames => _criterion.TermNames;

    /// <summary>Takes one step; returns its wall time and the unweighted loss terms (and <c>total</c>) it computed.</summary>
    public (double Seconds, Dictionary<string, double> Losses) Step()
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        using var output = _model.call(_images, Batch.Landmarks);
        var loss = _criterion.Compute(output, Batch, _weights);
        loss.Total.backward();
        if (_options.Optimizer.GradientClipNorm > 0)
            nn.utils.clip_grad_norm_(_model.parameters().Where(p => p.requires_grad), _options.Optimizer.GradientClipNorm);
        _optimizer.step();
        var losses = loss.Terms.ToDictionary(t => t.Key, t => (double)t.Value.item<float>());
        losses["total"] = loss.Total.item<float>();
        return (clock.Elapsed.TotalSeconds, losses);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        _criterion.Dispose();
        _model.Dispose();
    }
}
