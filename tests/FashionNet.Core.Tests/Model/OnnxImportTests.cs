using FashionNet.Model.Pretrained;
using FashionNet.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

/// <summary>The TorchSharp ResNet18 with imported weights against ONNX Runtime running the same ONNX files.</summary>
public class OnnxImportTests(ITestOutputHelper output)
{
    private const int Size = 224;

    [SkippableFact]
    public void Imported_ResNet18_matches_OnnxRuntime_on_a_synthetic_image()
    {
        RequireWeights();
        // Deterministic smooth pattern plus noise, RGB 0..255.
        var generator = new Random(7);
        var pixels = new float[3 * Size * Size];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++)
        {
            double pattern = 127.5 + 100 * Math.Sin((x * (c + 1) + 2 * y) / 17.0) * Math.Cos((y - c * x) / 23.0);
            pixels[(c * Size + y) * Size + x] = (float)Math.Clamp(pattern + generator.Next(-20, 21), 0, 255);
        }
        AssertMatchesOnnxRuntime(pixels, "synthetic");
    }

    [SkippableFact]
    public void Imported_ResNet18_matches_OnnxRuntime_on_a_real_photo()
    {
        RequireWeights();
        string folder = SharedData.Require(SharedData.InShopSample);
        string photo = Directory.EnumerateFiles(Path.Combine(folder, "img"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        AssertMatchesOnnxRuntime(CenterCropRgb(photo), Path.GetFileName(photo));
    }

    [SkippableFact]
    public void The_normalizer_resizes_its_mean_image_to_other_input_sizes()
    {
        RequireWeights();
        var normalizer = ImageNetWeights.LoadNormalizer(64);
        Assert.Equal((64, 64), (normalizer.Height, normalizer.Width));
        var white = Enumerable.Repeat(255f, 3 * 64 * 64).ToArray();
        normalizer.Normalize(white, 64, 64);
        // The mean image is about the ImageNet mean (BGR ~ 104, 117, 123), so white minus it lies in (100, 160).
        Assert.All(white, value => Assert.InRange(value, 100f, 160f));
    }

    [SkippableFact]
    public void Truncated_or_foreign_files_fail_with_the_path()
    {
        RequireWeights();
        string directory = Directory.CreateTempSubdirectory("fashionnet-onnx-").FullName;
        try
        {
            string truncated = Path.Combine(directory, "truncated.onnx");
            using (var source = File.OpenRead(ImageNetWeights.ResNet18Path()))
            using (var target = File.Create(truncated))
            {
                var head = new byte[1 << 20];
                source.ReadExactly(head);
                target.Write(head);
            }
            Assert.Contains(truncated, Assert.Throws<InvalidDataException>(() => ResNet18OnnxImporter.Load(truncated)).Message);

            // The preprocessing graph is a valid ONNX model without convolutions.
            var error = Assert.Throws<InvalidDataException>(() => ResNet18OnnxImporter.Load(ImageNetWeights.PreprocessPath()));
            Assert.Contains("0 convolutions", error.Message);

            // torchvision's layout (two blocks in layer4) is not the file's.
            using var torchvisionLayout = FashionNet.Model.Backbones.ResNet.ResNet18();
            error = Assert.Throws<InvalidDataException>(() => ResNet18OnnxImporter.Import(torchvisionLayout, ImageNetWeights.ResNet18Path()));
            Assert.Contains("22 convolutions", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Bottleneck_ResNet_is_refused_before_the_file_is_read()
    {
        using var bottleneck = new FashionNet.Model.Backbones.ResNet(FashionNet.Model.Backbones.ResidualBlockKind.Bottleneck, [1, 1, 1, 1], [8, 8, 8, 8]);
        var error = Assert.Throws<ArgumentException>(() => ResNet18OnnxImporter.Import(bottleneck, "/nonexistent/ResNet18.onnx"));
        Assert.Contains("Bottleneck", error.Message);
    }

    private void AssertMatchesOnnxRuntime(float[] rgb, string imageName)
    {
        float[] expected = RunOnnxRuntime(rgb, out float[] expectedPreprocessed);

        using var scope = NewDisposeScope();
        using var model = ImageNetWeights.LoadResNet18();
        {
            model.eval();
            using var noGrad = no_grad();
            // The normalizer the data pipeline applies, against ONNX Runtime running ResNetPreprocess.onnx.
            float[] normalized = (float[])rgb.Clone();
            ImageNetWeights.LoadNormalizer(Size).Normalize(normalized, Size, Size);
            Assert.Equal(expectedPreprocessed, normalized);

            float[] actual = model.forward(tensor(normalized, [1L, 3, Size, Size])).data<float>().ToArray();
            Assert.Equal(512, actual.Length);
            float maxAbsDifference = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
            float maxMagnitude = expected.Max(Math.Abs);
            output.WriteLine($"{imageName}: max |TorchSharp - ONNX Runtime| = {maxAbsDifference:E3}, max |output| = {maxMagnitude:F4}, " +
                $"relative {maxAbsDifference / maxMagnitude:E3}");
            Assert.True(maxMagnitude > 0.1f, "the features should not be all zero");
            Assert.True(maxAbsDifference <= 1e-3f * maxMagnitude, $"max abs difference {maxAbsDifference} exceeds 1e-3 x {maxMagnitude}");
        }
    }

    private static float[] RunOnnxRuntime(float[] rgb, out float[] preprocessed)
    {
        using var preprocess = new InferenceSession(ImageNetWeights.PreprocessPath());
        using var network = new InferenceSession(ImageNetWeights.ResNet18Path());
        var image = new DenseTensor<float>(rgb, [1, 3, Size, Size]);
        using var prepared = preprocess.Run([NamedOnnxValue.CreateFromTensor(preprocess.InputMetadata.Keys.Single(), image)]);
        preprocessed = prepared.Single().AsTensor<float>().ToArray();
        var networkInput = new DenseTensor<float>(preprocessed, [1, 3, Size, Size]);
        using var features = network.Run([NamedOnnxValue.CreateFromTensor(network.InputMetadata.Keys.Single(), networkInput)]);
        return features.Single().AsTensor<float>().ToArray();
    }

    /// <summary>The central 224x224 pixels of a JPEG as planar RGB 0..255 (no resampling, so both sides see the same pixels).</summary>
    private static float[] CenterCropRgb(string path)
    {
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(path);
        Skip.If(image.Width < Size || image.Height < Size, $"'{path}' is smaller than {Size}x{Size}.");
        int left = (image.Width - Size) / 2, top = (image.Height - Size) / 2;
        var pixels = new float[3 * Size * Size];
        for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++)
        {
            var pixel = image[left + x, top + y];
            pixels[(0 * Size + y) * Size + x] = pixel.R;
            pixels[(1 * Size + y) * Size + x] = pixel.G;
            pixels[(2 * Size + y) * Size + x] = pixel.B;
        }
        return pixels;
    }

    private static void RequireWeights() => Skip.IfNot(ImageNetWeights.Exist(),
        $"ImageNet ResNet18 ONNX files not found under '{ImageNetWeights.DefaultDirectory}' (they come from the NuGet package " +
        "Microsoft.ML.DnnImageFeaturizer.ResNet18, which the test project references); skipped.");
}
