using FashionNet.Model;
using FashionNet.Training;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// <c>train-step</c>: the median wall time of one FashionNet training step on a fixed P x K batch of real In-shop photos
/// with landmarks, after warm-up steps. Writes for the PyTorch side the initial weights, the batch, the model's
/// description, the optimizer settings and the loss terms of the first steps (which the PyTorch module must reproduce).
/// </summary>
internal static class TrainStepCommand
{
    public const string Usage = "--out DIR [--data DIR] [--config FILE] [--image-size 160] [--items-per-batch 8] [--images-per-item 4] [--warmup 3] [--steps 20] [--check-steps 3]";

    public static int Run(PeerArguments args)
    {
        string output = PeerFiles.OutputDirectory(args.Required("out"));
        string data = args.Directory("data", PeerData.InShopLandmarks);
        string config = args.Optional("config") ?? PeerData.Config;
        int imageSize = args.Int("image-size", 160, minimum: 32);
        int itemsPerBatch = args.Int("items-per-batch", 8, minimum: 2), imagesPerItem = args.Int("images-per-item", 4, minimum: 2);
        int warmup = args.Int("warmup", 3, minimum: 0), steps = args.Int("steps", 20), checkSteps = args.Int("check-steps", 3);
        args.RejectUnread();

        var options = TrainingOptions.Load(config) with { ItemsPerBatch = itemsPerBatch, ImagesPerItem = imagesPerItem };
        var dataset = PeerData.ReadInShop(data);
        var recipe = new ModelRecipe { ImageSize = imageSize }.For(dataset);
        manual_seed(options.Seed); // the new branches' initial weights, as a training run draws them
        var (model, normalizer) = recipe.Build();
        using var batch = PeerData.FirstTrainingBatch(dataset, options, imageSize, normalizer);
        if (batch.LabelCounts.Landmarks == 0 || batch.LabelCounts.Categories == 0)
            throw new InvalidDataException($"The first training batch of '{data}' has no landmark or category labels; train-step needs In-shop photos with landmarks.");

        var description = ModelDescription.Of(model);
        ModelExport.WriteStateDict(Path.Combine(output, "initial-state.pt"), model);
        PeerFiles.WriteTensors(Path.Combine(output, "batch.pt"), new Dictionary<string, Tensor>
        {
            ["images"] = batch.Images,
            ["positions"] = batch.Landmarks.Positions,
            ["visible"] = batch.Landmarks.Visible,
            ["labelled"] = batch.Landmarks.Labelled,
            ["categories"] = batch.Categories,
            ["items"] = batch.ItemIndices,
        });

        using var workload = new TrainStepWorkload(model, batch, options, batch.Images);
        var losses = new List<Dictionary<string, double>>();
        var seconds = new List<double>();
        for (int step = 0; step < warmup + steps; step++)
        {
            var (time, values) = workload.Step();
            if (step < checkSteps) losses.Add(values);
            if (step >= warmup) seconds.Add(time);
            Console.Error.WriteLine($"step {step + 1}/{warmup + steps}: {time:F3} s, loss {values["total"]:F6}");
        }

        double median = PeerStatistics.Median(seconds);
        PeerFiles.WriteJson(Path.Combine(output, "dotnet.json"), new
        {
            Side = "FashionNet.Core",
            Model = description,
            Batch = batch.Count,
            Optimizer = options.Optimizer,
            options.TripletMargin,
            LossWeights = options.Stage2.LossWeights,
            Terms = workload.TermNames,
            CheckedLosses = losses,
            Warmup = warmup,
            StepSeconds = seconds,
            MedianStepSeconds = median,
            ImagesPerSecond = batch.Count / median,
            Environment = PeerEnvironment.Describe(),
        });
        Console.Error.WriteLine($"train-step: FashionNet.Core {median:F3} s per step (median of {seconds.Count}, batch {batch.Count}), {batch.Count / median:F2} images/s");
        return 0;
    }
}
