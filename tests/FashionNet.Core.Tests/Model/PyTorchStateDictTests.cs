using System.Collections;
using FashionNet.Model.Backbones;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public sealed class PyTorchStateDictTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fashionnet-pybridge-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Torchvision_style_state_dict_round_trips_through_PyBridge()
    {
        using var scope = NewDisposeScope();
        using var source = ResNet.ResNet18();
        // A torchvision file also holds the classifier, which the backbone skips.
        var stateDict = new Hashtable();
        foreach (var (name, value) in source.state_dict()) stateDict[name] = value;
        stateDict["fc.weight"] = randn(1000, 512);
        stateDict["fc.bias"] = zeros(1000);
        string path = Path.Combine(directory, "resnet18.pth");
        PyTorchPickler.PickleStateDict(path, stateDict);

        using var target = ResNet.ResNet18();
        var skipped = target.LoadPyTorchStateDict(path);

        Assert.Equal(["fc.bias", "fc.weight"], skipped);
        var expected = source.state_dict();
        foreach (var (name, value) in target.state_dict()) Assert.True(value.eq(expected[name]).all().item<bool>(), name);
        Assert.All(target.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Wrong_shape_names_the_entry()
    {
        using var scope = NewDisposeScope();
        // The first entry the backbone reads has the wrong shape.
        var stateDict = new Hashtable { ["features.0.weight"] = zeros(64, 1, 3, 3) };
        string path = Path.Combine(directory, "vgg16.pth");
        PyTorchPickler.PickleStateDict(path, stateDict);

        using var target = new Vgg16();
        var error = Assert.Throws<InvalidDataException>(() => target.LoadPyTorchStateDict(path));
        Assert.Contains("features.0.weight", error.Message);
        Assert.Contains("[64, 1, 3, 3]", error.Message);
    }

    [Fact]
    public void Missing_entry_and_unreadable_file_fail_clearly()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(directory, "partial.pth");
        PyTorchPickler.PickleStateDict(path, new Hashtable { ["conv1.weight"] = zeros(64, 3, 7, 7) });
        using var target = ResNet.ResNet18();
        Assert.Contains("'bn1.weight'", Assert.Throws<InvalidDataException>(() => target.LoadPyTorchStateDict(path)).Message);

        string garbage = Path.Combine(directory, "garbage.pth");
        File.WriteAllBytes(garbage, [1, 2, 3, 4]);
        Assert.Contains(garbage, Assert.Throws<InvalidDataException>(() => target.LoadPyTorchStateDict(garbage)).Message);
    }
}
