using FashionNet.Checkpoints;
using FashionNet.Model;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;
using FashionNet.Inference;
using FashionNet.Training;

namespace FashionNet.Tests.Inference;

/// <summary>
/// A small synthetic In-shop set (10 items x 3 views at 64 px) and a random-initialized 64 px FashionNet saved as a
/// checkpoint, shared by the inference tests.
/// </summary>
public sealed class InferenceFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-inference-").FullName;

    public InferenceFixture()
    {
        var synthetic = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 10, ViewsPerItem = 3, ImageSize = 64, Seed = 11 });
        var layout = SyntheticDatasetWriter.Write(synthetic, Path.Combine(_directory, "data"));
        Dataset = DeepFashionReader.Read(layout.InShop, DeepFashionFormat.InShop);
        Recipe = SmallRecipe.For(Dataset);
        CheckpointPath = SaveCheckpoint(Recipe, seed: 1);
    }

    public static ModelRecipe SmallRecipe { get; } = new()
    {
        Initialization = BackboneInitialization.Random,
        ImageSize = 64,
        EmbeddingSize = 16,
    };

    public FashionDataset Dataset { get; }

    public ModelRecipe Recipe { get; }

    /// <summary>A checkpoint of a random-initialized model of <see cref="Recipe"/>.</summary>
    public string CheckpointPath { get; }

    public string NewPath(string name) => Path.Combine(_directory, Guid.NewGuid().ToString("N"), name);

    /// <summary>Saves a freshly initialized model of <paramref name="recipe"/> (seeded) as a checkpoint.</summary>
    public string SaveCheckpoint(ModelRecipe recipe, int seed)
    {
        TorchSharp.torch.manual_seed(seed);
        var (model, normalizer) = recipe.Build();
        using (model)
        {
            string path = NewPath("model.ckpt");
            CheckpointFile.Save(path, model, normalizer, null,
                new CheckpointMetadata(recipe.Fingerprint, "{}", new TrainingProgress(1, 0, 0, null), DateTimeOffset.UnixEpoch));
            return path;
        }
    }

    public IReadOnlyList<int> Gallery => Dataset.IndicesOf(EvaluationSplit.Gallery);

    public IReadOnlyList<int> Queries => Dataset.IndicesOf(EvaluationSplit.Query);

    public FashionNetEmbedder LoadEmbedder() => FashionNetEmbedder.FromCheckpoint(CheckpointPath);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
