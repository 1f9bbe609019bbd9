using System.Collections;
using System.Text.Json;
using FashionNet.Model.Backbones;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public sealed class PyTorchStateDictTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fashionnet-pybridge-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>
    /// torchvision's own state dict layout and maps (Model/Fixtures/torchvision-*.json, written by
    /// make_torchvision_fixtures.py with torchvision 0.14): a state dict with every torchvision entry (classifier
    /// included) and deterministic values is pickled through PyBridge and loaded (the classifier skipped, parameters
    /// still trainable), and the stride-8, trunk and final maps of a deterministic input must match torchvision's
    /// per-channel and per-position means.
    /// </summary>
    [Theory]
    [InlineData(BackboneKind.ResNet34, "resnet34")]
    [InlineData(BackboneKind.ResNet50, "resnet50")]
    public void Torchvision_ResNet_state_dict_loads_through_PyBridge_and_computes_torchvisions_maps(BackboneKind kind, string architecture)
    {
        var fixture = TorchvisionFixture.Load(architecture);
        using var scope = NewDisposeScope();
        var stateDict = new Hashtable();
        for (int k = 0; k < fixture.StateDict.Count; k++)
        {
            var (name, shape) = fixture.StateDict[k];
            stateDict[name] = TorchvisionFixture.DeterministicEntry(name, shape, k);
        }
        string path = Path.Combine(directory, architecture + ".pth");
        PyTorchPickler.PickleStateDict(path, stateDict);

        using var backbone = BackboneFactory.Create(kind);
        Assert.Equal(["fc.bias", "fc.weight"], backbone.LoadPyTorchStateDict(path));
        Assert.All(backbone.parameters(), p => Assert.True(p.requires_grad));
        backbone.eval();
        using var noGrad = no_grad();
        using var maps = backbone.ForwardTrunkMaps(TorchvisionFixture.DeterministicInput(fixture.Input));
        var actual = new Dictionary<string, Tensor>
        {
            ["stride8"] = maps.Stride8,
            ["trunk"] = maps.Trunk,
            ["final"] = backbone.ForwardFinalStage(maps.Trunk),
        };
        Assert.Equal(actual.Keys.Order(), fixture.Maps.Keys.Order());
        foreach (var (key, expected) in fixture.Maps)
        {
            var map = actual[key];
            Assert.Equal(expected.Shape, map.shape);
            AssertClose(expected.ChannelMeans, map.mean([0, 2, 3]), $"{architecture} {key} channel means");
            AssertClose(expected.PositionMeans, map.mean([0, 1]).flatten(), $"{architecture} {key} position means");
        }
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

    /// <summary>Within 1e-4 of the largest expected magnitude (float32 sums in a different order, another LibTorch build).</summary>
    private void AssertClose(float[] expected, Tensor actual, string what)
    {
        float[] values = actual.data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        float scale = expected.Max(Math.Abs), maxDifference = expected.Zip(values, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"{what}: max |difference| {maxDifference:E2}, max |expected| {scale:F3}");
        Assert.True(scale > 0.1f, $"{what}: the expected means should not be about zero");
        Assert.True(maxDifference <= 1e-4f * scale, $"{what}: max |difference| {maxDifference} exceeds 1e-4 x {scale}");
    }

    /// <summary>One Model/Fixtures/torchvision-ARCH.json (see make_torchvision_fixtures.py for the formulas mirrored here).</summary>
    private sealed record TorchvisionFixture(
        IReadOnlyList<(string Name, long[] Shape)> StateDict,
        long[] Input,
        IReadOnlyDictionary<string, (long[] Shape, float[] ChannelMeans, float[] PositionMeans)> Maps)
    {
        public static TorchvisionFixture Load(string architecture)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Model", "Fixtures", $"torchvision-{architecture}.json");
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var stateDict = root.GetProperty("state_dict").EnumerateArray()
                .Select(entry => (entry[0].GetString()!, Longs(entry[1])))
                .ToList();
            var maps = root.GetProperty("maps").EnumerateObject().ToDictionary(
                map => map.Name,
                map => (Longs(map.Value.GetProperty("shape")), Floats(map.Value.GetProperty("channel_means")), Floats(map.Value.GetProperty("position_means"))));
            return new TorchvisionFixture(stateDict, Longs(root.GetProperty("input")), maps);

            static long[] Longs(JsonElement array) => array.EnumerateArray().Select(value => value.GetInt64()).ToArray();
            static float[] Floats(JsonElement array) => array.EnumerateArray().Select(value => value.GetSingle()).ToArray();
        }

        /// <summary>Entry <paramref name="index"/> of the state dict: s = sin(0.61 j + 1.37 index), scaled by the entry's role.</summary>
        public static Tensor DeterministicEntry(string name, long[] shape, int index)
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) return zeros(shape, int64);
            long count = shape.Aggregate(1L, (product, size) => product * size);
            var s = sin(arange(count, dtype: float64) * 0.61 + 1.37 * index);
            var value = shape.Length > 1 ? s * (2.0 / Math.Sqrt(count / shape[0]))
                : name.EndsWith(".running_var", StringComparison.Ordinal) ? 0.5 * s * s + 1
                : name.EndsWith(".weight", StringComparison.Ordinal) ? 0.2 * s + 1
                : 0.1 * s;
            return value.reshape(shape).to(float32);
        }

        /// <summary>x_j = sin(0.013 j) + 0.5 cos(0.37 j).</summary>
        public static Tensor DeterministicInput(long[] shape)
        {
            var j = arange(shape.Aggregate(1L, (product, size) => product * size), dtype: float64);
            return (sin(j * 0.013) + 0.5 * cos(j * 0.37)).reshape(shape).to(float32);
        }
    }
}
