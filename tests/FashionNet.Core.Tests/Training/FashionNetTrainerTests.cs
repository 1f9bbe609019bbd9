using FashionNet.Checkpoints;
using FashionNet.Model;
using FashionNet.Evaluation;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Diagnostics;
using FashionNet.Data.Loading;
using FashionNet.Data.Synthetic;
using FashionNet.Model.Backbones;
using FashionNet.Tests.TestSupport;
using FashionNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Training;

[Collection(SerialCollection.Name)]
public sealed class FashionNetTrainerTests(SyntheticTrainingFixture fixture) : IClassFixture<SyntheticTrainingFixture>
{
    private static readonly ModelRecipe SmallRecipe = new()
    {
        Backbone = BackboneKind.ResNet18,
        Initialization = BackboneInitialization.Random,
        ImageSize = 64,
        EmbeddingSize = 64,
        PoolingWindow = 1,
    };

    private static TrainingOptions Options(int stage1Epochs, int stage2Epochs) => new()
    {
        Seed = 3,
        ItemsPerBatch = 4,
        ImagesPerItem = 2,
        Optimizer = new() { Kind = OptimizerKind.AdamW, LearningRate = 1e-3, BackboneLearningRateFactor = 1 },
        Stage1 = new() { Epochs = stage1Epochs, LossWeights = new TrainingOptions().Stage1.LossWeights },
        Stage2 = new() { Epochs = stage2Epochs, LossWeights = new TrainingOptions().Stage2.LossWeights },
    };

    private static readonly TrainingDataOptions Data = new() { Workers = 2, EvaluationBatchSize = 16 };

    private static float[] CheckpointWeights(string checkpoint)
    {
        var recipe = ModelRecipe.FromFingerprint(CheckpointFile.ReadMetadata(checkpoint).ModelFingerprint);
        using var model = recipe.CreateArchitecture();
        {
            CheckpointFile.LoadWeights(checkpoint, model);
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
    }

    [Theory]
    [InlineData(LandmarkSource.GroundTruth)]
    [InlineData(LandmarkSource.Predicted)]
    public void TheRunsTrainingLandmarksReachTheModel(LandmarkSource source)
    {
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, Options(1, 1) with { TrainingLandmarks = source }, Data);

        Assert.Equal(source, training.Model.TrainingLandmarks);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void EachStageSetsWhetherTheLocalBranchIsDetached(bool stage1Detached, bool stage2Detached)
    {
        var options = Options(1, 1) with
        {
            Stage1 = Options(1, 1).Stage1 with { DetachLocalBranch = stage1Detached },
            Stage2 = Options(1, 1).Stage2 with { DetachLocalBranch = stage2Detached },
        };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data);

        training.Run(new TrainingRunOptions { Directory = fixture.NewRunDirectory() });

        Assert.Equal(stage2Detached, training.Model.DetachLocalBranch);
    }

    [Fact]
    public void AStageWithDetachedAuxiliaryHeadsTrainsThemWithoutMovingTheSharedLayersOrTheEmbedding()
    {
        // Only auxiliary terms weighted and no weight decay: whatever moves was moved by their gradients.
        var options = Options(0, 1) with
        {
            Optimizer = Options(0, 1).Optimizer with { WeightDecay = 0 },
            Stage2 = new()
            {
                Epochs = 1,
                DetachAuxiliaryHeads = true,
                LossWeights = new Dictionary<string, double> { [LossTermNames.Landmarks] = 1, [LossTermNames.Visibility] = 1 },
            },
        };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data);
        var before = training.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

        training.Run(new TrainingRunOptions { Directory = fixture.NewRunDirectory() });

        Assert.True(training.Model.DetachAuxiliaryHeads);
        // The In-shop layout has no category or attribute labels: those heads have nothing to learn from here.
        string[] auxiliary = ["poseStage.", "poseFc1.", "poseFc2.", "landmarkHead.", "visibilityHead."];
        foreach (var (name, parameter) in training.Model.named_parameters().Where(p => !p.name.StartsWith("categoryHead.", StringComparison.Ordinal)
            && !p.name.StartsWith("attributeHead.", StringComparison.Ordinal)))
        {
            bool moved = !parameter.eq(before[name]).all().item<bool>();
            Assert.True(moved == auxiliary.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)), $"{name}: {(moved ? "moved" : "did not move")}");
        }
    }

    [Fact]
    public void ItemMeansStartEachTrainingItemsProxyAtItsPhotosMeanEmbedding()
    {
        var options = Options(0, 1) with
        {
            Stage2 = new() { Epochs = 1, LossWeights = new Dictionary<string, double> { [LossTermNames.Items] = 1 } },
            ItemProxies = ItemProxyStart.ItemMeans,
        };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { Validate = false });
        var proxies = training.Model.named_parameters().Single(p => p.name == "itemHead.weight").parameter;
        var initial = proxies.detach().clone();

        // The expected proxies, from the model stage 2 starts from (no stage 1 here): each training item's embeddings summed.
        var train = fixture.Dataset.IndicesOf(EvaluationSplit.Train);
        var expected = zeros_like(initial);
        training.Model.eval();
        using (no_grad())
        {
            foreach (var batch in FashionDataLoader.ForEvaluation(fixture.Dataset, train, SmallRecipe.ImageSize, training.Normalizer, 16).ReadEpoch(0))
            {
                using (batch) expected.index_add_(0, batch.ItemIndices, training.Model.Embed(batch.Images), 1);
            }
        }
        var trainItems = train.Select(i => (long)fixture.Dataset.Samples[i].ItemIndex!.Value).Distinct().ToArray();
        var withPhotos = zeros(initial.shape[0], dtype: ScalarType.Bool).index_fill_(0, tensor(trainItems), true).unsqueeze(1);
        expected = where(withPhotos, nn.functional.normalize(expected, p: 2, dim: 1), initial);

        Tensor? atStage2Start = null;
        training.Run(new TrainingRunOptions
        {
            Directory = fixture.NewRunDirectory(),
            OnEpochStart = (stage, epoch, _) => atStage2Start ??= stage == 2 ? proxies.detach().clone() : null,
        });

        Assert.NotNull(atStage2Start);
        Assert.True(trainItems.Length < initial.shape[0], "the fixture should have items without training photos");
        Assert.True(atStage2Start!.allclose(expected, rtol: 1e-4, atol: 1e-5), "the proxies did not start at the items' mean embeddings");
        Assert.False(proxies.allclose(atStage2Start), "the proxies did not train after their start");
    }

    [Fact]
    public void WeightingTheItemTermGivesTheModelAnItemHeadOverTheDatasetsItemsThatTrains()
    {
        var options = Options(0, 1) with
        {
            Stage2 = new() { Epochs = 1, LossWeights = new Dictionary<string, double> { [LossTermNames.Items] = 1 } },
        };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { Validate = false });
        var proxies = training.Model.named_parameters().Single(p => p.name == "itemHead.weight").parameter;
        var before = proxies.detach().clone();
        var run = new TrainingRunOptions { Directory = fixture.NewRunDirectory() };

        var summary = training.Run(run);

        Assert.Equal(fixture.Dataset.Items.Count, training.Recipe.ItemCount);
        Assert.Equal([fixture.Dataset.Items.Count, SmallRecipe.EmbeddingSize], proxies.shape);
        Assert.False(proxies.eq(before).all().item<bool>(), "the item proxies did not move");
        Assert.All(TrainingLog.Read(run.MetricsLog).Where(e => e.Kind == TrainingLogKind.Step), e => Assert.Contains("loss/items", e.Values.Keys));
        // The checkpoint's recipe rebuilds the head, so the run's model loads back as it was trained.
        var recipe = ModelRecipe.FromFingerprint(CheckpointFile.ReadMetadata(summary.BestCheckpoint).ModelFingerprint);
        Assert.Equal(training.Recipe.ItemCount, recipe.ItemCount);
        Assert.Equal(training.Model.parameters().SelectMany(p => p.data<float>().ToArray()), CheckpointWeights(summary.BestCheckpoint));
        // Without the term the recipe has no head and its fingerprint does not mention one.
        Assert.DoesNotContain("itemCount", SmallRecipe.For(fixture.Dataset).Fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void NormalizedPooledFeaturesTrainTheirStatisticsAndComeBackFromTheCheckpoint()
    {
        var recipe = SmallRecipe with { NormalizePooledFeatures = true };
        using var training = FashionNetTraining.Create(fixture.Dataset, recipe, Options(1, 1), Data with { Validate = false });

        var summary = training.Run(new TrainingRunOptions { Directory = fixture.NewRunDirectory() });

        var state = training.Model.state_dict();
        Assert.True(state["pooledNorm.running_mean"].abs().sum().item<float>() > 0, "training left the pooled features' running mean at 0");
        var saved = ModelRecipe.FromFingerprint(CheckpointFile.ReadMetadata(summary.BestCheckpoint).ModelFingerprint);
        Assert.True(saved.NormalizePooledFeatures);
        using var loaded = saved.CreateArchitecture();
        CheckpointFile.LoadWeights(summary.BestCheckpoint, loaded);
        Assert.Equal(state["pooledNorm.running_var"].data<float>().ToArray(), loaded.state_dict()["pooledNorm.running_var"].data<float>().ToArray());
        // Without the option the fingerprint does not mention it: earlier checkpoints keep theirs.
        Assert.DoesNotContain("normalizePooledFeatures", SmallRecipe.Fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void TheItemTermInStage1OnASeparateStage1DatasetIsRefused()
    {
        var options = Options(1, 1) with
        {
            Stage1 = new() { Epochs = 1, LossWeights = new Dictionary<string, double> { [LossTermNames.Items] = 1 } },
        };
        var error = Assert.Throws<ArgumentException>(() =>
            FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { Stage1Dataset = fixture.CategoryDataset }));
        Assert.Contains("stage1.lossWeights.items", error.Message);
    }

    [Fact]
    public void StageTwoBatchesCarryTheAskedLandmarkImagesWithTheirLandmarksAndNoOtherLabel()
    {
        var landmarkSet = SmallSyntheticSet(fixture.NewRunDirectory());
        var options = Options(1, 1) with { Stage2 = Options(1, 1).Stage2 with { LandmarkImagesPerBatch = 3 } };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { LandmarkDataset = landmarkSet, Validate = false });

        // Stage 1 asks for none, so it reads the plain P x K batches (4 items x 2 images).
        Assert.NotNull(training.Trainer.Stage1Loader);
        using (var plain = training.Trainer.Stage1Loader!.ReadEpoch(FashionNetTrainer.EpochKey(1, 0)).First())
            Assert.Equal(8, plain.Count);
        using var batch = training.Trainer.Loader.ReadEpoch(FashionNetTrainer.EpochKey(2, 0)).First();
        Assert.Equal(11, batch.Count);
        int mainSamples = fixture.Dataset.Samples.Count;
        Assert.All(batch.SampleIndices.Take(8), i => Assert.True(i < mainSamples));
        Assert.All(batch.SampleIndices.Skip(8), i => Assert.True(i >= mainSamples));
        Assert.Equal([-1, -1, -1], batch.ItemIndices.data<long>().ToArray()[8..]);
        Assert.Equal([-1, -1, -1], batch.Categories.data<long>().ToArray()[8..]);
        Assert.All(batch.ItemIndices.data<long>().ToArray()[..8], item => Assert.True(item >= 0));
        using var labelled = batch.Landmarks.Labelled.any(1);
        Assert.All(labelled.data<bool>().ToArray()[8..], Assert.True);
        // The images it deals from: the landmark set's training images, with nothing but their landmarks.
        Assert.Equal(landmarkSet.IndicesOf(EvaluationSplit.Train).Count(i => landmarkSet.Samples[i].Landmarks is not null),
            training.LandmarkImages!.IndicesOf(EvaluationSplit.Train).Count);
        Assert.Empty(training.LandmarkImages.Items);
    }

    [Fact]
    public void TrainingOnMixedBatchesComputesEveryTermAtEveryStep()
    {
        var landmarkSet = SmallSyntheticSet(fixture.NewRunDirectory());
        var options = Options(0, 1) with { Stage2 = Options(0, 1).Stage2 with { LandmarkImagesPerBatch = 4 } };
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { LandmarkDataset = landmarkSet, Validate = false });
        var run = new TrainingRunOptions { Directory = fixture.NewRunDirectory() };

        training.Run(run);

        var steps = TrainingLog.Read(run.MetricsLog).Where(e => e.Kind == TrainingLogKind.Step).ToList();
        Assert.NotEmpty(steps);
        // The In-shop fixture has no categories; its photos train the triplet term, every image the landmark terms.
        foreach (string term in new[] { LossTermNames.Landmarks, LossTermNames.Visibility, LossTermNames.Triplet })
            Assert.All(steps, step => Assert.True(double.IsFinite(step.Values[$"loss/{term}"]), $"loss/{term} of step {step.Step}"));
    }

    [Fact]
    public void LandmarkImagesPerBatchWithoutLandmarkDataIsRefusedNamingTheStage()
    {
        var options = Options(1, 1) with { Stage2 = Options(1, 1).Stage2 with { LandmarkImagesPerBatch = 2 } };
        var error = Assert.Throws<ArgumentException>(() => FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data));
        Assert.Contains("stage2.landmarkImagesPerBatch", error.Message);
    }

    [Fact]
    public void LandmarkImagesAlreadyInTheStagesDataAreRefusedNamingTheStageAndAnImage()
    {
        var landmarkSet = SmallSyntheticSet(fixture.NewRunDirectory());
        var options = Options(1, 1) with { Stage1 = Options(1, 1).Stage1 with { LandmarkImagesPerBatch = 2 } };
        var data = Data with { Stage1Dataset = FashionDataset.Concat(fixture.Dataset, landmarkSet), LandmarkDataset = landmarkSet };

        var error = Assert.Throws<ArgumentException>(() => FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, data));

        Assert.Contains("stage1.landmarkImagesPerBatch", error.Message);
        Assert.Contains(landmarkSet.ImageFullPath(landmarkSet.Samples[0]), error.Message);
    }

    private static FashionDataset SmallSyntheticSet(string directory)
    {
        var set = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 6, ViewsPerItem = 2, ImageSize = 64, Seed = 9 });
        return DeepFashionReader.Read(SyntheticDatasetWriter.Write(set, directory).InShop, DeepFashionFormat.InShop);
    }

    [Fact]
    public void TheItemTermOnDataWithoutItemsIsRefusedNamingTheData()
    {
        var options = Options(0, 1) with
        {
            Stage2 = new() { Epochs = 1, LossWeights = new Dictionary<string, double> { [LossTermNames.Items] = 1 } },
        };
        var error = Assert.Throws<ArgumentException>(() => FashionNetTraining.Create(fixture.CategoryDataset, SmallRecipe, options, Data));
        Assert.Contains("item identities", error.Message);
        Assert.Contains(fixture.CategoryDataset.Root, error.Message);
    }

    [Fact]
    public void ShortRunLowersTheLossAndRetrievesHeldOutItemsFarAboveChance()
    {
        manual_seed(11);
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, Options(1, 5), Data);
        var run = new TrainingRunOptions { Directory = fixture.NewRunDirectory() };

        var summary = training.Run(run);

        var log = TrainingLog.Read(run.MetricsLog);
        var stage2Losses = log.Where(e => e.Kind == TrainingLogKind.Step && e.Stage == 2).Select(e => e.Values["loss"]).ToList();
        Assert.True(stage2Losses.TakeLast(3).Average() < stage2Losses.Take(3).Average(),
            $"stage-2 loss did not fall: first {string.Join(", ", stage2Losses.Take(3))}, last {string.Join(", ", stage2Losses.TakeLast(3))}");
        // 12 held-out items with 2 gallery images each among 24: a random ranking hits at 1 about 1 time in 12.
        Assert.True(summary.BestMetrics["r@1"] >= 0.3, $"R@1 {summary.BestMetrics["r@1"]:F3} is not well above chance (0.083)");
        Assert.True(File.Exists(run.BestCheckpoint(1)));
        Assert.Equal(summary.BestCheckpoint, run.BestCheckpoint(2));
        Assert.Equal(SmallRecipe.For(fixture.Dataset).Fingerprint, CheckpointFile.ReadMetadata(summary.BestCheckpoint).ModelFingerprint);
    }

    [Fact]
    public void EveryTensorOfATrainingRunIsPlacedExplicitlyNotOnTheDefaultDevice()
    {
        // With the default device set to "meta" (shapes without data), a tensor that the loader, the trainer, the
        // criterion, the validator or a checkpoint creates without naming its device lands on meta and fails the first
        // operation that meets the model's (CPU) tensors: the check that a CUDA run would not silently mix devices.
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, Options(1, 1), Data);
        var run = new TrainingRunOptions { Directory = fixture.NewRunDirectory() };
        TrainingSummary summary;
        set_default_device(META);
        try
        {
            summary = training.Run(run);
        }
        finally
        {
            set_default_device(CPU);
        }
        Assert.Equal(DeviceType.CPU, training.Model.Device.type);
        Assert.True(summary.BestMetrics["r@1"] >= 0);
        Assert.All(TrainingLog.Read(run.MetricsLog).Where(e => e.Kind == TrainingLogKind.Step), e => Assert.True(double.IsFinite(e.Values["loss"])));
    }

    [SkippableFact]
    public void AskingForCudaWithoutItIsAnErrorThatSaysWhatIsMissing()
    {
        Skip.If(cuda.is_available(), "this machine has CUDA");
        var error = Assert.Throws<NotSupportedException>(() => FashionNetTraining.Create(fixture.Dataset, SmallRecipe, Options(1, 1), Data with { Device = ComputeDevice.Parse("cuda") }));
        Assert.Contains("finds no CUDA", error.Message);
        Assert.Contains("CUDA LibTorch", error.Message);
    }

    [Fact]
    public void ResumingAfterAnInterruptionEndsWithTheSameWeightsAsAStraightRun()
    {
        var options = Options(0, 2);
        string straight = fixture.NewRunDirectory(), interrupted = fixture.NewRunDirectory();

        manual_seed(21);
        using (var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data))
            training.Run(new TrainingRunOptions { Directory = straight });

        manual_seed(21);
        using (var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data))
        {
            using var stop = new CancellationTokenSource();
            var run = new TrainingRunOptions
            {
                Directory = interrupted,
                OnLogEntry = entry => { if (entry.Kind == TrainingLogKind.Epoch) stop.Cancel(); },
            };
            Assert.ThrowsAny<OperationCanceledException>(() => training.Run(run, stop.Token));
        }
        Assert.Equal(1, CheckpointFile.ReadMetadata(Path.Combine(interrupted, "last.ckpt")).Progress.Epoch);

        manual_seed(999); // the resumed process starts from a different random state: the checkpoint must restore it
        using (var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data))
            training.Run(new TrainingRunOptions { Directory = interrupted, Resume = true });

        Assert.Equal(CheckpointWeights(Path.Combine(straight, "last.ckpt")), CheckpointWeights(Path.Combine(interrupted, "last.ckpt")));
        Assert.Equal(2, TrainingLog.Read(Path.Combine(interrupted, "metrics.jsonl")).Count(e => e.Kind == TrainingLogKind.Epoch));
    }

    [Fact]
    public void FiftyStepsKeepLiveTensorsAndProcessMemoryFlat()
    {
        // 12 training items in P = 2 batches: 6 steps per epoch, 9 epochs = 54 steps.
        var options = Options(0, 9) with { ItemsPerBatch = 2 };
        var liveTensors = new List<long>();
        var workingSet = new List<long>();
        manual_seed(31);
        // One worker and one batch of read-ahead keep the loader's in-flight tensors (counted too) to a couple of batches.
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, options, Data with { Validate = false, Workers = 1, Prefetch = 1 });
        var run = new TrainingRunOptions
        {
            Directory = fixture.NewRunDirectory(),
            OnLogEntry = entry =>
            {
                if (entry.Kind != TrainingLogKind.Step) return;
                liveTensors.Add(Tensor.TotalCount);
                // Collect first, so the figure is what is still held, not garbage the GC has yet to reclaim.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                workingSet.Add(Environment.WorkingSet);
            },
        };

        training.Run(run);

        Assert.Equal(54, liveTensors.Count);
        // A leak of even one tensor per step would lift the last window's minimum 30+ above the early window's maximum.
        long early = liveTensors.Skip(5).Take(10).Max(), late = liveTensors.TakeLast(10).Min();
        Assert.True(late <= early, $"live tensors grew: steps 6-15 peak at {early}, the last 10 steps never drop below {late}");
        long growth = workingSet.TakeLast(10).Min() - workingSet.Skip(5).Take(10).Max();
        Assert.True(growth < 64L << 20, $"working set grew by {growth >> 20} MB between steps 6-15 and the last 10 steps");
    }

    [Fact]
    public void Stage1TrainsOnItsOwnDatasetAndStage2OnTheMainOne()
    {
        // Stage 1 on data without items (shuffled batches, no triplets), stage 2 on the In-shop layout (P x K batches).
        var stage1Data = fixture.CategoryDataset;
        using var training = FashionNetTraining.Create(fixture.Dataset, SmallRecipe, Options(1, 1), Data with { Stage1Dataset = stage1Data });
        var run = new TrainingRunOptions { Directory = fixture.NewRunDirectory() };

        training.Run(run);

        var log = TrainingLog.Read(run.MetricsLog);
        var stage1Steps = log.Where(e => e.Kind == TrainingLogKind.Step && e.Stage == 1).ToList();
        var stage2Steps = log.Where(e => e.Kind == TrainingLogKind.Step && e.Stage == 2).ToList();
        Assert.Equal(stage1Data.IndicesOf(EvaluationSplit.Train).Count / 8, stage1Steps.Count);
        Assert.All(stage1Steps, e => Assert.DoesNotContain("loss/triplet", e.Values.Keys));
        Assert.All(stage1Steps, e => Assert.Contains("loss/landmarks", e.Values.Keys));
        Assert.All(stage2Steps, e => Assert.Contains("loss/triplet", e.Values.Keys));
        var trainItems = fixture.Dataset.IndicesOf(EvaluationSplit.Train).Select(i => fixture.Dataset.Samples[i].ItemIndex).Distinct().Count();
        Assert.Equal(trainItems / 4, stage2Steps.Count);
        // Validation stays on the main dataset's query / gallery in both stages.
        Assert.All(log.Where(e => e.Kind == TrainingLogKind.Epoch), e => Assert.Contains("r@1", e.Values.Keys));
        Assert.True(training.Recipe.CategoryCount >= stage1Data.Categories.Count, "the category head does not fit the stage-1 data");
    }

    [Fact]
    public void PredictionsCarryTheVisibilityProbabilityOfEverySlot()
    {
        var (model, normalizer) = SmallRecipe.For(fixture.Dataset).Build();
        using (model)
        {
            var samples = fixture.Dataset.IndicesOf(EvaluationSplit.Query);
            var loader = FashionDataLoader.ForEvaluation(fixture.Dataset, samples, SmallRecipe.ImageSize, normalizer, 16, new() { Workers = 1 });
            using var predictions = DatasetPredictions.Predict(model, loader);

            Assert.Equal(samples.Count * model.Options.LandmarkCount, predictions.Landmarks.VisibilityProbabilities.Length);
            using var batch = loader.ReadEpoch(0, CancellationToken.None).First();
            model.eval();
            using var output = model.call(batch.Images, null);
            float[] expected = output.VisibilityLogits.sigmoid().data<float>().ToArray();
            Assert.Equal(expected, predictions.Landmarks.VisibilityProbabilities.Take(expected.Length));
        }
    }

    [Fact]
    public void DataWithoutItemsValidatesCategoriesAndLandmarksOnItsValSplit()
    {
        manual_seed(41);
        var dataset = fixture.CategoryDataset;
        using var training = FashionNetTraining.Create(dataset, SmallRecipe, Options(0, 1), Data);
        var validator = Assert.IsType<HeldOutSplitValidator>(training.Validator);
        Assert.Equal("category_top3", validator.SelectionMetric);

        var metrics = validator.Validate(training.Model, CancellationToken.None);

        Assert.Equal(["category_top1", "category_top3", "category_top5", "landmark_error", "landmark_detection@0.05"], metrics.Keys);
        var onValidation = Recompute(training, dataset, dataset.IndicesOf(EvaluationSplit.Validation));
        Assert.All(metrics, metric => Assert.Equal(onValidation[metric.Key], metric.Value, 1e-9));
        // The recomputation tells the splits apart: the same model measures differently on the test split.
        var onTest = Recompute(training, dataset, dataset.IndicesOf(EvaluationSplit.Test));
        Assert.True(Math.Abs(onTest["landmark_error"] - metrics["landmark_error"]) > 1e-6,
            $"landmark error {metrics["landmark_error"]} on the val split, {onTest["landmark_error"]} on the test split: the check cannot tell them apart");
    }

    /// <summary>
    /// The validation metrics of <paramref name="samples"/> computed here from first principles: each image decoded,
    /// cropped and normalized on its own, the model run in batches of the validation's size, category ranks counted
    /// from the logits, landmarks mapped back into the source image and their normalized distance averaged per slot.
    /// </summary>
    private static Dictionary<string, double> Recompute(FashionNetTraining training, FashionDataset dataset, IReadOnlyList<int> samples)
    {
        int size = training.Recipe.ImageSize;
        var transform = ImageTransform.Evaluation(size);
        var decoder = new ImageDecoder();
        var hits = new double[6];
        var slotErrors = Enumerable.Range(0, LandmarkLayout.SlotCount).Select(_ => new List<double>()).ToArray();
        training.Model.eval();
        using var noGrad = no_grad();
        foreach (var chunk in samples.Chunk(Data.EvaluationBatchSize))
        {
            using var scope = NewDisposeScope();
            var pixels = new float[chunk.Length * 3 * size * size];
            var geometries = new CropGeometry[chunk.Length];
            var sourceSizes = new (int Width, int Height)[chunk.Length];
            for (int i = 0; i < chunk.Length; i++)
            {
                var sample = dataset.Samples[chunk[i]];
                using var image = decoder.Decode(dataset.ImageFullPath(sample));
                geometries[i] = transform.Plan(image.Width, image.Height, sample.BoundingBox, null);
                sourceSizes[i] = (image.Width, image.Height);
                var target = pixels.AsSpan(i * 3 * size * size, 3 * size * size);
                transform.Render(image, geometries[i], target);
                training.Normalizer.Normalize(target, size, size);
            }
            var output = training.Model.call(tensor(pixels).view(chunk.Length, 3, size, size), null);
            float[] logits = output.CategoryLogits.data<float>().ToArray(), landmarks = output.Landmarks.data<float>().ToArray();
            int categories = logits.Length / chunk.Length;
            for (int i = 0; i < chunk.Length; i++)
            {
                var sample = dataset.Samples[chunk[i]];
                float[] row = logits[(i * categories)..((i + 1) * categories)];
                int label = sample.CategoryIndex!.Value;
                int rank = Enumerable.Range(0, categories).Count(c => row[c] > row[label]);
                for (int k = 1; k <= 5; k++) hits[k] += rank < k ? 1 : 0;
                for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
                {
                    var truth = sample.Landmarks![(LandmarkSlot)slot];
                    if (truth.Visibility != LandmarkVisibility.Visible) continue;
                    int at = 2 * (i * LandmarkLayout.SlotCount + slot);
                    var (x, y) = geometries[i].UnmapPoint(landmarks[at] * size, landmarks[at + 1] * size, size, size);
                    slotErrors[slot].Add(Math.Sqrt(Math.Pow((x - truth.X) / sourceSizes[i].Width, 2) + Math.Pow((y - truth.Y) / sourceSizes[i].Height, 2)));
                }
            }
        }

        var visible = slotErrors.SelectMany(e => e).ToList();
        return new Dictionary<string, double>
        {
            ["category_top1"] = hits[1] / samples.Count,
            ["category_top3"] = hits[3] / samples.Count,
            ["category_top5"] = hits[5] / samples.Count,
            ["landmark_error"] = slotErrors.Where(e => e.Count > 0).Average(e => e.Average()),
            ["landmark_detection@0.05"] = visible.Count(e => e <= 0.05) / (double)visible.Count,
        };
    }

    [Fact]
    public void InShopSelectionPrefersHigherR1AndBreaksTiesByLowerLandmarkError()
    {
        IModelValidator validator = new InShopValidator(fixture.Dataset,
            FashionDataLoader.ForEvaluation(fixture.Dataset, [0], SmallRecipe.ImageSize, null, batchSize: 1));
        static Dictionary<string, double> Metrics(double r1, double? error) =>
            error is { } e ? new() { ["r@1"] = r1, ["landmark_error"] = e } : new() { ["r@1"] = r1 };

        Assert.True(validator.Improves(Metrics(0.95, 0.09), Metrics(0.94, 0.04)));
        Assert.False(validator.Improves(Metrics(0.94, 0.01), Metrics(0.95, 0.09)));
        Assert.True(validator.Improves(Metrics(0.95, 0.045), Metrics(0.95, 0.057)));
        Assert.False(validator.Improves(Metrics(0.95, 0.057), Metrics(0.95, 0.057)));
        Assert.False(validator.Improves(Metrics(0.95, null), Metrics(0.95, null)));
    }
}
