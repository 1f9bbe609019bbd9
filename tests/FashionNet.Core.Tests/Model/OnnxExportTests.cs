using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Backbones;
using FashionNet.Model.Export;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

/// <summary>The ONNX export, run by ONNX Runtime, against the TorchSharp model and the library's landmark pooling.</summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    /// <summary>Extent of the map the pooling cases use: 5 rows, 7 columns (unequal, so x and y cannot be swapped unseen).</summary>
    private const int Rows = 5, Columns = 7, Channels = 3;

    [Theory]
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    [InlineData(5, 3)]
    public void Exported_landmark_pooling_equals_the_library_at_cell_borders_and_beyond_the_map(int window, int bins)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        // Negative and zero features too: a maximum that started anywhere but the lowest value would show.
        var features = randn(2, Channels, Rows, Columns);
        features[0, 1] = -features[0, 1].abs() - 1;
        features[1, 2] = zeros(Rows, Columns);
        var (landmarks, visible) = BorderLandmarks();

        var expected = KernelFunctional.LandmarkPool(features, landmarks, visible, new LandmarkPoolingOptions { WindowSize = window, Bins = bins, Backend = KernelBackend.Reference });
        using var session = Session(FashionNetOnnxExporter.ExportLandmarkPooling(Channels, Rows, Columns, (int)landmarks.shape[1], window, bins));
        using var featureValue = FloatValue(features);
        using var landmarkValue = FloatValue(landmarks);
        using var visibleValue = OrtValue.CreateTensorValueFromMemory(visible.data<bool>().ToArray(), visible.shape);
        using var run = new RunOptions();
        using var results = session.Run(run, ["features", "landmarks", "visible"], [featureValue, landmarkValue, visibleValue], ["pooled"]);
        var actual = tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.abs().sum().item<float>() > 0, "the cases should pool some nonzero features");
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }

    public static TheoryData<string, BackboneMap, int, bool> ExportCases => new()
    {
        { "torchvision ResNet18 layout", BackboneMap.Trunk, 1, false },
        { "torchvision ResNet18 layout", BackboneMap.Stride8, 2, false },
        { "CNTK ResNet18 layout", BackboneMap.Trunk, 2, false },
        { "CNTK ResNet18 layout", BackboneMap.Stride8, 1, false },
        { "CNTK ResNet18 layout", BackboneMap.Stride8, 2, true },
        { "bottleneck ResNet", BackboneMap.Trunk, 1, false },
    };

    [Theory]
    [MemberData(nameof(ExportCases))]
    public void Exported_model_computes_what_the_TorchSharp_model_computes_in_evaluation_mode(string layout, BackboneMap map, int bins, bool normalizePooled)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        // The blocks of each layout at reduced widths (the graph does not depend on the widths), a non-square input for
        // one case, batch-norm statistics and affine parameters away from their initial values (folding must use them),
        // and landmark and visibility heads scaled so that landmarks spread over the map and some slots are gated off.
        var backbone = layout switch
        {
            "torchvision ResNet18 layout" => new ResNet(ResidualBlockKind.Basic, [2, 2, 2, 2], [8, 16, 32, 64]),
            "CNTK ResNet18 layout" => new ResNet(ResidualBlockKind.Basic, [2, 2, 2, 3], [8, 16, 32, 64]),
            _ => new ResNet(ResidualBlockKind.Bottleneck, [1, 1, 1, 1], [4, 8, 16, 32]),
        };
        int width = map == BackboneMap.Stride8 && bins == 1 ? 96 : 64;
        using var model = new FashionNetModel(SmallOptions(64, width, map, bins) with { NormalizePooledFeatures = normalizePooled }, backbone);
        Randomize(model);
        model.eval();
        var images = randn(4, 3, 64, width);

        using var noGrad = no_grad();
        using var expected = model.forward(images, null);
        var actual = Run(FashionNetOnnxExporter.Export(model), images);

        var visible = expected.VisibilityLogits.sigmoid().gt(0.5f);
        Assert.True(visible.any().item<bool>() && !visible.all().item<bool>(), "the case should gate some landmarks on and some off");
        Assert.True(expected.Landmarks.min().item<float>() < 0.25f && expected.Landmarks.max().item<float>() > 0.75f, "the landmarks should spread over the map");
        AssertClose("embedding", expected.Embedding, actual[FashionNetOnnxExporter.EmbeddingOutput], 1e-5f);
        AssertClose("landmarks", expected.Landmarks, actual[FashionNetOnnxExporter.LandmarksOutput], 1e-5f);
        AssertClose("visibility logits", expected.VisibilityLogits, actual[FashionNetOnnxExporter.VisibilityLogitsOutput], 1e-5f);
        AssertClose("category logits", expected.CategoryLogits, actual[FashionNetOnnxExporter.CategoryLogitsOutput], 1e-5f);
    }

    [Fact]
    public void Exported_backbone_computes_the_normalized_pooled_features()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var backbone = new ResNet(ResidualBlockKind.Basic, [2, 2, 2, 3], [8, 16, 32, 64]);
        Randomize(backbone);
        backbone.eval();
        var images = randn(3, 3, 64, 64);

        using var noGrad = no_grad();
        var expected = nn.functional.normalize(backbone.forward(images), p: 2, dim: 1);
        var actual = Run(FashionNetOnnxExporter.ExportBackbone(backbone, 64), images);

        AssertClose("embedding", expected, actual[FashionNetOnnxExporter.EmbeddingOutput], 1e-5f);
    }

    [Fact]
    public void Backbones_other_than_ResNet_are_refused_with_their_name()
    {
        using var model = new FashionNetModel(SmallOptions(32, 32, BackboneMap.Trunk, 1), new Vgg16());

        var error = Assert.Throws<NotSupportedException>(() => FashionNetOnnxExporter.Export(model));
        Assert.Contains("supports ResNet backbones", error.Message);
        Assert.Contains("Vgg16", error.Message);
        Assert.Contains("Vgg16", Assert.Throws<NotSupportedException>(() => FashionNetOnnxExporter.ExportBackbone(model.Backbone, 32)).Message);
    }

    [Fact]
    public void Int8_export_takes_exactly_one_finite_range_per_activation_of_the_calibration_probe()
    {
        using var model = new FashionNetModel(SmallOptions(64, 64, BackboneMap.Trunk, 1), new ResNet(ResidualBlockKind.Basic, [1, 1, 1, 1], [8, 8, 8, 8]));
        var probe = FashionNetOnnxExporter.ExportCalibrationProbe(model);
        // The images, the stem, and per basic block its two convolutions, its shortcut's convolution and the sum: layer1..3
        // of the trunk and the two layer4-shaped branches (global, pose); every block has a shortcut convolution here, as
        // each changes the width (layer1: the 64-channel stem to 8) or the stride.
        Assert.Equal(1 + 1 + 5 * 4, probe.ActivationOutputs.Count);
        var ranges = probe.ActivationOutputs.Select(_ => new OnnxActivationRange(-1, 1)).ToList();

        Assert.NotEmpty(FashionNetOnnxExporter.ExportInt8(model, ranges));
        Assert.Contains("has more activations", Assert.Throws<ArgumentException>(() => FashionNetOnnxExporter.ExportInt8(model, ranges[1..])).Message);
        Assert.Contains("the network has 22 activations", Assert.Throws<ArgumentException>(() => FashionNetOnnxExporter.ExportInt8(model, [.. ranges, ranges[0]])).Message);
        ranges[5] = new OnnxActivationRange(float.NaN, 1);
        Assert.Contains("Activation range 5", Assert.Throws<ArgumentException>(() => FashionNetOnnxExporter.ExportInt8(model, ranges)).Message);
    }

    [Fact]
    public void A_model_pooling_at_no_landmarks_is_refused()
    {
        using var model = new FashionNetModel(SmallOptions(64, 64, BackboneMap.Trunk, 1), new ResNet(ResidualBlockKind.Basic, [1, 1, 1, 1], [8, 8, 8, 8]))
        {
            EvaluationLandmarks = LandmarkSource.None,
        };

        var error = Assert.Throws<NotSupportedException>(() => FashionNetOnnxExporter.Export(model));
        Assert.Contains("EvaluationLandmarks is None", error.Message);
    }

    [Fact]
    public void A_model_without_a_local_branch_exports_whatever_its_landmark_source()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var model = new FashionNetModel(SmallOptions(64, 64, BackboneMap.Trunk, 1, localBranch: false),
            new ResNet(ResidualBlockKind.Basic, [1, 1, 1, 1], [8, 8, 8, 8]))
        {
            EvaluationLandmarks = LandmarkSource.None,
        };
        Randomize(model);
        model.eval();
        var images = randn(2, 3, 64, 64);

        using var noGrad = no_grad();
        using var expected = model.forward(images, null);
        var actual = Run(FashionNetOnnxExporter.Export(model), images);

        AssertClose("embedding", expected.Embedding, actual[FashionNetOnnxExporter.EmbeddingOutput], 1e-5f);
    }

    [Fact]
    public void Export_to_a_file_writes_a_model_ONNX_Runtime_loads()
    {
        string directory = Directory.CreateTempSubdirectory("fashionnet-onnx-export-").FullName;
        try
        {
            using var model = new FashionNetModel(SmallOptions(64, 64, BackboneMap.Trunk, 1), new ResNet(ResidualBlockKind.Basic, [1, 1, 1, 1], [8, 8, 8, 8]));
            string path = Path.Combine(directory, "model.onnx");
            FashionNetOnnxExporter.Export(model, path);

            using var session = new InferenceSession(path);
            Assert.Equal([FashionNetOnnxExporter.ImagesInput], session.InputNames);
            Assert.Equal(new[] { FashionNetOnnxExporter.EmbeddingOutput, FashionNetOnnxExporter.LandmarksOutput, FashionNetOnnxExporter.VisibilityLogitsOutput,
                FashionNetOnnxExporter.CategoryLogitsOutput }.Order(), session.OutputNames.Order());
            Assert.Equal([-1L, 3, 64, 64], session.InputMetadata[FashionNetOnnxExporter.ImagesInput].Dimensions.Select(d => (long)d));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Landmarks on every cell border of the 5 x 7 map (x = k / 7, y = k / 5 as float32, which may fall on either side
    /// of the exact border), one float32 step either side of them, and beyond the map (negative, exactly 1, far away, in
    /// x and in y), for two images, some gated off.
    /// </summary>
    private static (Tensor Landmarks, Tensor Visible) BorderLandmarks()
    {
        var xs = new List<float>();
        for (int k = 0; k <= Columns; k++) xs.AddRange([(float)k / Columns, MathF.BitDecrement((float)k / Columns), MathF.BitIncrement((float)k / Columns)]);
        xs.AddRange([-0.2f, -1e-7f, 1f, 1.3f, 2.5f, -3f, 40f, -40f]);
        var ys = new List<float>();
        for (int k = 0; k <= Rows; k++) ys.AddRange([(float)k / Rows, MathF.BitDecrement((float)k / Rows), MathF.BitIncrement((float)k / Rows)]);
        // Far beyond the map in y too: the clamped cell's window must stay inside the padded rows.
        ys.AddRange([-0.2f, 1.45f, 0.5f, 40f, -40f, 1.3f]);
        int count = Math.Max(xs.Count, ys.Count);
        var values = new float[2 * count * 2];
        var visible = new bool[2 * count];
        var random = new Random(9);
        for (int image = 0; image < 2; image++)
        for (int i = 0; i < count; i++)
        {
            // The second image pairs the coordinates differently, so every x meets several ys.
            values[(image * count + i) * 2] = xs[(i + 5 * image) % xs.Count];
            values[(image * count + i) * 2 + 1] = ys[(i * (image + 1)) % ys.Count];
            visible[image * count + i] = random.NextDouble() < 0.8;
        }
        return (tensor(values, [2L, count, 2]), tensor(visible, [2L, count]));
    }

    private static FashionNetOptions SmallOptions(int height, int width, BackboneMap map, int bins, bool localBranch = true) => new()
    {
        UseLocalBranch = localBranch,
        ImageHeight = height,
        ImageWidth = width,
        PooledMap = map,
        PoolingBins = bins,
        GlobalFeatureSize = 32,
        PoseGridSize = 3,
        PoseHiddenSize = 32,
        LocalFeatureSize = 24,
        EmbeddingSize = 16,
        CategoryCount = 5,
        AttributeCount = 7,
    };

    private static void Randomize(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is BatchNorm norm)
            {
                norm.running_mean!.copy_(randn_like(norm.running_mean) * 0.2);
                norm.running_var!.copy_(rand_like(norm.running_var) + 0.5);
                norm.weight!.copy_(rand_like(norm.weight) + 0.5);
                norm.bias!.copy_(randn_like(norm.bias) * 0.2);
            }
            else if (name == "landmarkHead") ((Linear)module).weight!.mul_(100);
            else if (name == "visibilityHead") ((Linear)module).weight!.mul_(10);
        }
    }

    private Dictionary<string, Tensor> Run(byte[] model, Tensor images)
    {
        using var session = Session(model);
        using var input = FloatValue(images);
        using var run = new RunOptions();
        var names = session.OutputNames.ToArray();
        using var results = session.Run(run, [FashionNetOnnxExporter.ImagesInput], [input], names);
        output.WriteLine($"ONNX model: {model.Length:N0} bytes");
        return names.Select((name, i) => (name, value: tensor(results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape)))
            .ToDictionary(pair => pair.name, pair => pair.value);
    }

    private void AssertClose(string name, Tensor expected, Tensor actual, float tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        float difference = (expected - actual).abs().max().item<float>();
        output.WriteLine($"{name}: max |TorchSharp - ONNX Runtime| = {difference:E2} (max |value| {expected.abs().max().item<float>():F3})");
        Assert.True(difference <= tolerance, $"{name}: max abs difference {difference:E2} exceeds {tolerance:E1}");
    }

    private static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    private static OrtValue FloatValue(Tensor values) => OrtValue.CreateTensorValueFromMemory(values.contiguous().data<float>().ToArray(), values.shape);
}
