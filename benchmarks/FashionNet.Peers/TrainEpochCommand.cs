using System.Diagnostics;
using FashionNet.Data.Annotations;
using FashionNet.Model;
using FashionNet.Training;

namespace FashionNet.Peers;

/// <summary>
/// <c>train-epoch</c>: images per second over one stage-2 epoch on the In-shop sample through the library's own
/// training (<see cref="FashionNetTraining"/>: its P x K loader with decoding, augmentation and normalization on
/// background workers, and <see cref="FashionNetTrainer"/>'s steps), timed from the epoch's start to its last step.
/// Writes for the PyTorch side the epoch's batches (image paths, items, categories), the initial weights and the input
/// normalization, so that it trains on the same images in the same order from the same weights.
/// </summary>
internal static class TrainEpochCommand
{
    public const string Usage = "--out DIR [--data DIR] [--config FILE] [--image-size 160] [--items-per-batch 8] [--images-per-item 4] [--workers 2] [--max-steps N]";

    public static int Run(PeerArguments args)
    {
        string output = PeerFiles.OutputDirectory(args.Required("out"));
        string data = args.Directory("data", PeerData.InShopSample);
        string config = args.Optional("config") ?? PeerData.Config;
        int imageSize = args.Int("image-size", 160, minimum: 32);
        int itemsPerBatch = args.Int("items-per-batch", 8, minimum: 2), imagesPerItem = args.Int("images-per-item", 4, minimum: 2);
        int workers = args.Int("workers", 2);
        int maxSteps = args.Int("max-steps", int.MaxValue);
        args.RejectUnread();

        var loaded = TrainingOptions.Load(config);
        var options = loaded with
        {
            ItemsPerBatch = itemsPerBatch,
            ImagesPerItem = imagesPerItem,
            Stage1 = loaded.Stage1 with { Epochs = 0 },
            Stage2 = loaded.Stage2 with { Epochs = 1 },
        };
        var dataset = PeerData.ReadInShop(data);
        TorchSharp.torch.manual_seed(options.Seed); // the new branches' initial weights, as a training run draws them
        using var training = FashionNetTraining.Create(dataset, new ModelRecipe { ImageSize = imageSize }, options,
            new TrainingDataOptions { Workers = workers, Validate = false });

        var batches = PeerData.TrainSampler(dataset, options).Batches(FashionNetTrainer.EpochKey(2, 0)).Take(maxSteps).ToArray();
        ModelExport.WriteStateDict(Path.Combine(output, "initial-state.pt"), training.Model);
        ModelExport.WriteNormalizer(Path.Combine(output, "normalizer.pt"), training.Normalizer);
        PeerFiles.WriteJson(Path.Combine(output, "batches.json"), new
        {
            Batches = batches.Select(batch => batch.Select(i => new
            {
                Path = dataset.ImageFullPath(dataset.Samples[i]),
                Item = dataset.Samples[i].ItemIndex ?? -1,
                Category = dataset.Samples[i].CategoryIndex ?? -1,
            })),
        });

        var clock = new Stopwatch();
        int steps = 0, images = 0;
        using var stop = new CancellationTokenSource();
        var run = new TrainingRunOptions
        {
            Directory = Path.Combine(output, "run"),
            OnEpochStart = (_, _, _) => clock.Start(),
            OnLogEntry = entry =>
            {
                if (entry.Kind != TrainingLogKind.Step) return;
                steps++;
                images += batches[steps - 1].Length;
                if (steps == batches.Length)
                {
                    clock.Stop();
                    stop.Cancel();
                }
                Console.Error.WriteLine($"step {steps}/{batches.Length}: {images / clock.Elapsed.TotalSeconds:F1} images/s so far");
            },
        };
        try
        {
            training.Run(run, stop.Token);
        }
        catch (OperationCanceledException) when (steps == batches.Length)
        {
            // The epoch was cut at --max-steps (or its last step was just taken): the timing is complete.
        }
        if (steps != batches.Length) throw new InvalidOperationException($"The epoch took {steps} steps, the sampler gave {batches.Length} batches.");

        PeerFiles.WriteJson(Path.Combine(output, "dotnet.json"), new
        {
            Side = "FashionNet.Core",
            Model = ModelDescription.Of(training.Model),
            Optimizer = options.Optimizer,
            options.TripletMargin,
            LossWeights = options.Stage2.LossWeights,
            Workers = workers,
            Steps = steps,
            Images = images,
            Seconds = clock.Elapsed.TotalSeconds,
            ImagesPerSecond = images / clock.Elapsed.TotalSeconds,
            Environment = PeerEnvironment.Describe(),
        });
        Console.Error.WriteLine($"train-epoch: FashionNet.Core {images / clock.Elapsed.TotalSeconds:F2} images/s ({images} images, {steps} steps, {clock.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }
}
