using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;

namespace FashionNet.Tests.Training;

/// <summary>A small synthetic In-shop set written once for the training tests (24 items x 4 views at 64 px).</summary>
public sealed class SyntheticTrainingFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-train-").FullName;

    public SyntheticTrainingFixture()
    {
        var synthetic = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 24, ViewsPerItem = 4, ImageSize = 64, Seed = 5 });
        var layout = SyntheticDatasetWriter.Write(synthetic, Path.Combine(_directory, "data"));
        Dataset = DeepFashionReader.Read(layout.InShop, DeepFashionFormat.InShop);
        CategoryDataset = DeepFashionReader.Read(layout.CategoryAndAttribute, DeepFashionFormat.CategoryAttribute);
    }

    /// <summary>The In-shop layout: items, train / query / gallery.</summary>
    public FashionDataset Dataset { get; }

    /// <summary>The same views in the Category and Attribute layout: categories, no items, train / val / test.</summary>
    public FashionDataset CategoryDataset { get; }

    public string NewRunDirectory() => Path.Combine(_directory, "runs", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
