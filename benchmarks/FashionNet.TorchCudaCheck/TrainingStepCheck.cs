using FashionNet.Checkpoints;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Data.Synthetic;
using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Backbones;
using FashionNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.TorchCudaCheck;

/// <summary>
/// One FashionNet training step (ResNet18 trunk, landmark pooling at the ground-truth landmarks, every paper loss term
/// with the attribute loss through the backend under test) on a batch of the built-in synthetic set: the same model
/// and batch with each kernel backend, gradients of every parameter against the pure-tensor reference on the same
/// device; then the step time per backend, and the embedding throughput.
/// </summary>
internal static class TrainingStepCheck
{
    /// <summary>Largest relative difference of a parameter's gradient accepted against the reference (see <see cref="Run"/>).</summary>
    private const double GradientTolerance = 1e-3;

    private static readonly Dictionary<string, double> StepWeights = new()
    {
        [LossTermNames.Landmarks] = 1, [LossTermNames.Visibility] = 1, [LossTermNames.Category] = 1, [LossTermNames.Triplet] = 1, [LossTermNames.GlobalTriplet] = 1,
    };

    public static void Run(CheckOptions options, IReadOnlyList<KernelBackend> backends, CheckReport report)
    {
        var device = options.Device;
        string root = Path.Combine(Path.GetTempPath(), $"fashionnet-torch-cuda-check-{Environment.ProcessId}");
        try
        {
            var layout = SyntheticDatasetWriter.Write(SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 24, Seed = 3 }), root, overwrite: true);
            var dataset = DeepFashionReader.Read(layout.InShop, DeepFashionFormat.InShop);
            var train = dataset.IndicesOf(EvaluationSplit.Train).Take(options.StepBatch).ToArray();
            var recipe = new ModelRecipe { Initialization = BackboneInitialization.Random, ImageSize = options.ImageSize }.For(dataset);
            var weights = FashionNetTraining.AttributeWeightsOf(dataset, train)
                ?? throw new InvalidOperationException("The synthetic set has no attribute labels; the step needs them for the attribute loss.");
            using var hostBatch = FashionDataLoader.ForEvaluation(dataset, train, recipe.ImageSize, ChannelNormalizer.ImageNet, train.Length)
                .LoadBatch(train, epoch: 0, batchIndex: 0);
            using var batch = hostBatch.To(device);
            Console.WriteLine($"Training step: ResNet18 FashionNet, {batch.Count} synthetic images at {recipe.ImageSize} px, landmark pooling on a " +
                $"{recipe.ModelOptions().PooledMap} map, {weights.Positive.Count} attributes, on {device}");

            var referenceGradients = StepGradients(recipe, batch, weights, KernelBackend.Reference, out double referenceLoss);
            var repeatGradients = StepGradients(recipe, batch, weights, KernelBackend.Reference, out double repeatLoss);
            double noise = WorstRelativeDifference(repeatGradients, referenceGradients, out _);
            Console.WriteLine($"  reference run twice: loss {referenceLoss:F6} / {repeatLoss:F6}, worst parameter gradient difference {noise:G3} (the device's own nondeterminism)");
            report.Set("training_step_reference", new Dictionary<string, object?>
            {
                ["loss"] = referenceLoss, ["repeat_loss"] = repeatLoss, ["repeat_worst_gradient_relative_difference"] = noise, ["batch"] = batch.Count,
                ["image_size"] = recipe.ImageSize, ["parameters"] = referenceGradients.Count,
            });
            foreach (var backend in backends)
            {
                var gradients = StepGradients(recipe, batch, weights, backend, out double loss);
                double worst = WorstRelativeDifference(gradients, referenceGradients, out string worstParameter);
                double lossDifference = Math.Abs(loss - referenceLoss) / Math.Abs(referenceLoss);
                report.Check($"training step {backend}", worst <= GradientTolerance && lossDifference <= 1e-5,
                    $"loss {loss:F6} (reference {referenceLoss:F6}, relative {lossDifference:G3}); worst gradient relative difference {worst:G3} ({worstParameter}) " +
                    $"over {gradients.Count} parameters (at most {GradientTolerance:G1}; reference vs itself {noise:G3})");
                report.AddRow("training_step", new()
                {
                    ["backend"] = backend.ToString(), ["loss"] = loss, ["loss_relative_difference"] = lossDifference,
                    ["worst_gradient_relative_difference"] = worst, ["worst_parameter"] = worstParameter,
                });
            }
            DisposeAll(referenceGradients);
            DisposeAll(repeatGradients);

            Console.WriteLine("Training step time (forward + loss + backward + SGD update), ms:");
            foreach (var backend in backends.Prepend(KernelBackend.Reference))
            {
                double ms = StepTime(options, recipe, batch, weights, backend);
                Console.WriteLine($"  {backend,-10} {ms,9:F2} ms   {batch.Count / ms * 1000,8:F0} images/s");
                report.AddRow("training_step_timings", new() { ["backend"] = backend.ToString(), ["ms"] = ms, ["images_per_second"] = batch.Count / ms * 1000 });
            }

            CheckResume(options, recipe, batch, weights, report);

            Console.WriteLine("Embedding throughput (eval mode, predicted landmarks, no grad), images/s:");
            foreach (int size in new[] { 1, options.StepBatch, 4 * options.StepBatch })
            {
                double perSecond = EmbeddingThroughput(options, recipe, size);
                Console.WriteLine($"  batch {size,4}: {perSecond,9:F0} images/s");
                report.AddRow("embedding_throughput", new() { ["batch"] = size, ["image_size"] = recipe.ImageSize, ["images_per_second"] = perSecond });
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The same initial weights for every backend: the model is built from one seed on the CPU, then moved.</summary>
    private static FashionNetModel BuildModel(ModelRecipe recipe, KernelBackend backend, Device device)
    {
        torch.random.manual_seed(2016);
        var model = new FashionNetModel(recipe.ModelOptions() with { PoolingBackend = backend }, BackboneFactory.Create(recipe.Backbone));
        model.to(device);
        return model;
    }

    private static Tensor StepLoss(FashionNetModel model, FashionNetCriterion criterion, WeightedAttributeLoss attributeLoss, FashionBatch batch)
    {
        var output = model.forward(batch.Images, batch.Landmarks);
        var total = criterion.Compute(output, batch, StepWeights).Total;
        return total + attributeLoss.call(output.AttributeLogits, batch.Attributes, batch.AttributeMask);
    }

    private static (FashionNetCriterion Criterion, WeightedAttributeLoss AttributeLoss) Losses(AttributeWeights weights, KernelBackend backend, Device device)
    {
        var (positive, negative) = weights.ToTensors(device);
        using (positive)
        using (negative)
        {
            return (FashionNetCriterion.Standard(0.2, null, device),
                new WeightedAttributeLoss(positive, negative, new WeightedAttributeLossOptions { Backend = backend }));
        }
    }

    private static Dictionary<string, Tensor> StepGradients(ModelRecipe recipe, FashionBatch batch, AttributeWeights weights, KernelBackend backend, out double loss)
    {
        using var model = BuildModel(recipe, backend, batch.Images.device);
        var (criterion, attributeLoss) = Losses(weights, backend, batch.Images.device);
        using (criterion)
        using (attributeLoss)
        using (var scope = NewDisposeScope())
        {
            model.train();
            var total = StepLoss(model, criterion, attributeLoss, batch);
            total.backward();
            loss = total.item<float>();
            var gradients = new Dictionary<string, Tensor>();
            foreach (var (name, parameter) in model.named_parameters())
            {
                using var gradient = parameter.grad;
                if (gradient is not null) gradients[name] = gradient.detach().cpu().MoveToOuterDisposeScope();
            }
            return gradients;
        }
    }

    private static double StepTime(CheckOptions options, ModelRecipe recipe, FashionBatch batch, AttributeWeights weights, KernelBackend backend)
    {
        using var model = BuildModel(recipe, backend, options.Device);
        var (criterion, attributeLoss) = Losses(weights, backend, options.Device);
        using (criterion)
        using (attributeLoss)
        {
            model.train();
            using var optimizer = optim.SGD(model.parameters(), 1e-4, momentum: 0.9);
            int iterations = Math.Max(5, options.Iterations / 5);
            return DeviceTiming.MillisecondsPer(options.Device, Math.Max(3, iterations / 5), iterations, () =>
            {
                optimizer.zero_grad();
                StepLoss(model, criterion, attributeLoss, batch).backward();
                optimizer.step();
            });
        }
    }

    /// <summary>
    /// A checkpoint written after one AdamW step on the device and resumed into another model and optimizer there: the
    /// next step from both must give the same weights. This is the stage-2 start and <c>train --resume</c> on a GPU.
    /// </summary>
    private static void CheckResume(CheckOptions options, ModelRecipe recipe, FashionBatch batch, AttributeWeights weights, CheckReport report)
    {
        var device = options.Device;
        string path = Path.Combine(Path.GetTempPath(), $"fashionnet-torch-cuda-check-{Environment.ProcessId}.ckpt");
        var (criterion, attributeLoss) = Losses(weights, KernelBackend.Auto, device);
        using (criterion)
        using (attributeLoss)
        using (var saved = BuildModel(recipe, KernelBackend.Auto, device))
        using (var resumed = BuildModel(recipe, KernelBackend.Auto, device))
        using (var savedOptimizer = FashionNetTrainer.CreateOptimizer(saved, new OptimizerOptions()))
        using (var resumedOptimizer = FashionNetTrainer.CreateOptimizer(resumed, new OptimizerOptions()))
        {
            void Step(FashionNetModel model, TorchSharp.Modules.OptimizerHelper optimizer)
            {
                using var scope = NewDisposeScope();
                model.train();
                optimizer.zero_grad();
                StepLoss(model, criterion, attributeLoss, batch).backward();
                optimizer.step();
            }

            try
            {
                Step(saved, savedOptimizer);
                CheckpointFile.Save(path, saved, ChannelNormalizer.ImageNet, savedOptimizer,
                    new CheckpointMetadata("torch-cuda-check", "{}", new TrainingProgress(1, 1, 1, null), DateTimeOffset.UtcNow));
                CheckpointFile.Resume(path, resumed, resumedOptimizer, "torch-cuda-check");
                Step(saved, savedOptimizer);
                Step(resumed, resumedOptimizer);
                var expected = saved.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu());
                var actual = resumed.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu());
                double worst = WorstRelativeDifference(actual, expected, out string worstParameter);
                DisposeAll(expected);
                DisposeAll(actual);
                report.Check("checkpoint resume", worst <= GradientTolerance,
                    $"after a step from the resumed checkpoint on {device}, worst weight relative difference {worst:G3} ({worstParameter}) (at most {GradientTolerance:G1})");
                report.Set("checkpoint_resume", new Dictionary<string, object?> { ["worst_weight_relative_difference"] = worst, ["worst_parameter"] = worstParameter });
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    private static double EmbeddingThroughput(CheckOptions options, ModelRecipe recipe, int batchSize)
    {
        using var model = BuildModel(recipe, KernelBackend.Auto, options.Device);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn([batchSize, 3, recipe.ImageSize, recipe.ImageSize], device: options.Device);
        int iterations = Math.Max(5, options.Iterations / 5);
        double ms = DeviceTiming.MillisecondsPer(options.Device, Math.Max(3, iterations / 5), iterations, () => model.Embed(images));
        return batchSize / ms * 1000;
    }

    /// <summary>The largest, over parameters, of ||g - g_ref|| / ||g_ref|| (parameters whose reference gradient is zero compare absolutely).</summary>
    private static double WorstRelativeDifference(Dictionary<string, Tensor> gradients, Dictionary<string, Tensor> reference, out string worstParameter)
    {
        if (!gradients.Keys.Order().SequenceEqual(reference.Keys.Order()))
            throw new InvalidOperationException("The backends' models have different parameters with gradients.");
        double worst = 0;
        worstParameter = "";
        foreach (var (name, expected) in reference)
        {
            using var scope = NewDisposeScope();
            double norm = expected.norm().item<float>(), difference = (gradients[name] - expected).norm().item<float>();
            double relative = norm > 0 ? difference / norm : difference;
            if (relative > worst || worstParameter.Length == 0) (worst, worstParameter) = (relative, name);
        }
        return worst;
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }
}
