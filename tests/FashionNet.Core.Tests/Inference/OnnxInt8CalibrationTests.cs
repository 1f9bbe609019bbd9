using FashionNet.Data.Imaging;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;

namespace FashionNet.Tests.Inference;

/// <summary>How int8 calibration images are picked from a folder or list file, and what bad input gives.</summary>
public sealed class OnnxInt8CalibrationTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"fashionnet-calibration-{Guid.NewGuid():N}");

    public OnnxInt8CalibrationTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string File(string relative, string content = "")
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Spread_picks_evenly_in_order_and_all_when_fewer()
    {
        Assert.Equal([0, 3, 6, 9], OnnxInt8Calibration.Spread(Enumerable.Range(0, 12).ToArray(), 4));
        Assert.Equal([0, 1, 2], OnnxInt8Calibration.Spread([0, 1, 2], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxInt8Calibration.Spread([0, 1], 0));
    }

    [Fact]
    public void A_folder_gives_its_images_recursively_sorted_and_spread()
    {
        string[] images = [.. Enumerable.Range(0, 6).Select(i => File($"sub{i % 2}/img{i}.JPG"))];
        File("notes.txt");

        var picked = OnnxInt8Calibration.ImagesFrom(_folder, count: 3);

        string[] sorted = [.. images.Order(StringComparer.Ordinal)];
        Assert.Equal([sorted[0], sorted[2], sorted[4]], picked);
    }

    [Fact]
    public void A_list_file_resolves_paths_against_its_folder_and_skips_blank_and_comment_lines()
    {
        string a = File("photos/a.jpg"), b = File("photos/b.png");
        string list = File("list.txt", "# calibration\n\nphotos/b.png\n  photos/a.jpg  \n");

        Assert.Equal([a, b], OnnxInt8Calibration.ImagesFrom(list));
    }

    [Fact]
    public void Bad_input_names_the_file_and_line()
    {
        string list = File("list.txt", "photos/there.jpg\nphotos/missing.jpg\n");
        File("photos/there.jpg");
        string empty = Path.Combine(_folder, "empty");
        Directory.CreateDirectory(empty);
        string nowhere = Path.Combine(_folder, "nowhere");

        Assert.Contains($"{list}, line 2", Assert.Throws<ArgumentException>(() => OnnxInt8Calibration.ImagesFrom(list)).Message);
        Assert.Contains("holds no image", Assert.Throws<ArgumentException>(() => OnnxInt8Calibration.ImagesFrom(empty)).Message);
        Assert.Contains(nowhere, Assert.Throws<FileNotFoundException>(() => OnnxInt8Calibration.ImagesFrom(nowhere)).Message);
    }

    [Fact]
    public void A_corrupt_calibration_image_is_refused_naming_it()
    {
        using var fixture = new InferenceFixture();
        using var embedder = fixture.LoadEmbedder();
        string corrupt = File("corrupt.jpg", "not a JPEG");

        var error = Assert.Throws<ImageDecodeException>(() => OnnxFashionNetEmbedder.QuantizedFromEmbedder(embedder, [corrupt], new OnnxRuntimeOptions { Threads = 1 }));
        Assert.Contains(corrupt, error.Message);
    }
}
