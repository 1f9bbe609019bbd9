using FashionNet.Checkpoints;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;
using FashionNet.Diagnostics;
using FashionNet.Inference;
using FashionNet.Model;
using FashionNet.Training;

namespace FashionNet.Service.Tests;

/// <summary>
/// A tiny gallery for the service tests, made once: a synthetic In-shop set (8 items x 3 views at 64 px), a
/// random-initialized 64 px FashionNet saved as a checkpoint, and an index of all 24 photos built from that checkpoint
/// (so the index records it and the service needs no --checkpoint).
/// </summary>
public sealed class ServiceFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-service-").FullName;

    public ServiceFixture()
    {
        TorchThreading.PreferPassiveWaiting();
        var synthetic = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 8, ViewsPerItem = 3, ImageSize = 64, Seed = 21 });
        var layout = SyntheticDatasetWriter.Write(synthetic, Path.Combine(_directory, "data"));
        var dataset = DeepFashionReader.Read(layout.InShop, DeepFashionFormat.InShop);
        Gallery = [.. dataset.Samples.Select(s => new GalleryImage(dataset.ImageFullPath(s), s.ItemId ?? ""))];

        // In-shop has no category labels; a 50-way head like the demo's gives the service its top 3.
        var recipe = new ModelRecipe { Initialization = BackboneInitialization.Random, ImageSize = 64, EmbeddingSize = 16 }.For(dataset) with { CategoryCount = 50 };
        TorchSharp.torch.manual_seed(3);
        var (model, normalizer) = recipe.Build();
        CheckpointPath = Path.Combine(_directory, "model.ckpt");
        using (model)
        {
            CheckpointFile.Save(CheckpointPath, model, normalizer, null,
                new CheckpointMetadata(recipe.Fingerprint, "{}", new TrainingProgress(1, 0, 0, null), DateTimeOffset.UnixEpoch));
        }

        IndexPath = Path.Combine(_directory, "gallery.fnidx");
        using var embedder = FashionNetEmbedder.FromCheckpoint(CheckpointPath);
        VisualSearch.BuildIndex(IndexPath, embedder, Gallery);
    }

    /// <summary>The indexed photos, in index order (entry i is Gallery[i]).</summary>
    public IReadOnlyList<GalleryImage> Gallery { get; }

    public string CheckpointPath { get; }

    public string IndexPath { get; }

    /// <summary>Options for a service of this gallery on a free loopback port.</summary>
    public SearchServiceOptions Options => new() { IndexPath = IndexPath, Urls = ["http://127.0.0.1:0"] };

    public string NewPath(string name) => Path.Combine(Directory.CreateDirectory(Path.Combine(_directory, Guid.NewGuid().ToString("N"))).FullName, name);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>The service tests share one fixture (built once) and run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ServiceCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Service";
}
