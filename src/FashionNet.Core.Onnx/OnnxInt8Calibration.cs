using FashionNet.Model;
using FashionNet.Model.Export;
using static TorchSharp.torch;

namespace FashionNet.Inference.Onnx;

/// <summary>
/// Calibration for <see cref="FashionNetOnnxExporter.ExportInt8"/>: runs the model's calibration probe
/// (<see cref="FashionNetOnnxExporter.ExportCalibrationProbe"/>) in ONNX Runtime and records the smallest and largest
/// value of each activation over every image given (ONNX Runtime's own MinMax calibration).
/// </summary>
public static class OnnxInt8Calibration
{
    /// <summary>Each activation's range over <paramref name="images"/>, in the probe's order.</summary>
    /// <param name="model">The model.</param>
    /// <param name="imageSize">Its square input size in pixels.</param>
    /// <param name="images">Batches of normalized images <c>[N, 3, imageSize, imageSize]</c>.</param>
    /// <param name="options">Threads and waiting.</param>
    /// <exception cref="ArgumentException">No image was given, or a batch has the wrong shape.</exception>
    public static IReadOnlyList<OnnxActivationRange> MeasureRanges(FashionNetModel model, int imageSize, IEnumerable<Tensor> images, OnnxRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        var probe = FashionNetOnnxExporter.ExportCalibrationProbe(model);
        using var session = new OnnxModelSession(probe.Model, imageSize, options);
        var min = Enumerable.Repeat(float.PositiveInfinity, probe.ActivationOutputs.Count).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, probe.ActivationOutputs.Count).ToArray();
        long seen = 0;
        foreach (var batch in images)
        {
            using var scope = NewDisposeScope();
            var activations = session.Run(batch, [.. probe.ActivationOutputs]);
            for (int i = 0; i < activations.Length; i++)
            {
                min[i] = Math.Min(min[i], activations[i].min().item<float>());
                max[i] = Math.Max(max[i], activations[i].max().item<float>());
            }
            seen += batch.shape[0];
        }
        if (seen == 0) throw new ArgumentException("Int8 calibration needs at least one image.", nameof(images));
        return [.. min.Zip(max, (low, high) => new OnnxActivationRange(low, high))];
    }

    /// <summary>How many images <see cref="ImagesFrom"/> picks by default (ONNX Runtime's examples calibrate on a few hundred).</summary>
    public const int DefaultImageCount = 256;

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    /// <summary>
    /// Up to <paramref name="count"/> calibration images from <paramref name="path"/>: a folder (its images, searched
    /// recursively) or a text file listing image paths one per line (relative to the file's folder; blank lines and lines
    /// starting with <c>#</c> skipped). Sorted by path, then spread evenly over the list, so the pick is the same every time.
    /// </summary>
    /// <param name="path">The folder or list file.</param>
    /// <param name="count">The most images to pick.</param>
    /// <exception cref="FileNotFoundException">The path is neither a folder nor a file.</exception>
    /// <exception cref="ArgumentException">It holds no image, or a listed image does not exist (the message names the line).</exception>
    public static IReadOnlyList<string> ImagesFrom(string path, int count = DefaultImageCount)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        string full = Path.GetFullPath(path);
        List<string> images;
        if (Directory.Exists(full))
        {
            images = [.. Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                .Where(file => ImageExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))];
        }
        else if (File.Exists(full))
        {
            images = [];
            string folder = Path.GetDirectoryName(full)!;
            int lineNumber = 0;
            foreach (string line in File.ReadLines(full))
            {
                lineNumber++;
                string entry = line.Trim();
                if (entry.Length == 0 || entry.StartsWith('#')) continue;
                string image = Path.GetFullPath(entry, folder);
                if (!File.Exists(image)) throw new ArgumentException($"{full}, line {lineNumber}: image '{image}' does not exist.", nameof(path));
                images.Add(image);
            }
        }
        else throw new FileNotFoundException($"Calibration images: '{full}' is neither a folder nor a list file.", full);

        if (images.Count == 0) throw new ArgumentException($"Calibration images: '{full}' holds no image ({string.Join(", ", ImageExtensions)}).", nameof(path));
        images.Sort(StringComparer.Ordinal);
        return Spread(images, count);
    }

    /// <summary>Up to <paramref name="count"/> of <paramref name="candidates"/>, spread evenly over the list in its order (all of them when fewer).</summary>
    /// <param name="candidates">What to pick from (image paths, sample indices).</param>
    /// <param name="count">The most to pick.</param>
    public static IReadOnlyList<T> Spread<T>(IReadOnlyList<T> candidates, int count = DefaultImageCount)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        int picked = Math.Min(count, candidates.Count);
        return [.. Enumerable.Range(0, picked).Select(i => candidates[(int)((long)i * candidates.Count / picked)])];
    }
}
