using FashionNet.Data.Synthetic;

namespace FashionNet.Tests.Data.Loading;

/// <summary>A small synthetic set on disk, written once for all loader tests.</summary>
public sealed class SyntheticFixture : IDisposable
{
    public SyntheticFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("fashionnet-loader-").FullName;
        Set = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 12, ViewsPerItem = 3, ImageSize = 48, Seed = 3 });
        Layout = SyntheticDatasetWriter.Write(Set, Path.Combine(Directory, "set"));
    }

    public string Directory { get; }

    public SyntheticDataset Set { get; }

    public SyntheticDatasetLayout Layout { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
