using System.CommandLine;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;

namespace FashionNet.Cli.Commands;

/// <summary>
/// The <c>--runtime torch|onnx|onnx-int8</c> option of the commands that embed: what runs the network; and
/// <c>--calibration-images</c>, the images that calibrate int8.
/// </summary>
internal static class RuntimeOption
{
    public const string Torch = "torch";
    public const string Onnx = "onnx";
    public const string OnnxInt8 = "onnx-int8";

    public static Option<string> Create()
    {
        var option = new Option<string>("--runtime")
        {
            Description = "What runs the network: torch (LibTorch, the default) or onnx (the model exported to ONNX in memory and run by " +
                "ONNX Runtime on the CPU only: the same index fingerprint, embeddings within 1e-5 of LibTorch's in the tests, more for a " +
                "rare image with a landmark at a cell border or a visibility at the threshold; embedding and prediction only), or " +
                "onnx-int8 (the same with the convolutions in int8, calibrated on --calibration-images: faster on CPUs with VNNI, " +
                "embeddings differ from float32's by more than rounding; FashionNet checkpoints only).",
            DefaultValueFactory = _ => Torch,
        };
        option.AcceptOnlyFromAmong(Torch, Onnx, OnnxInt8);
        return option;
    }

    /// <summary>The <c>--calibration-images</c> option: what calibrates <c>--runtime onnx-int8</c>.</summary>
    public static Option<string?> CreateCalibration() => new("--calibration-images")
    {
        Description = $"With --runtime onnx-int8: a folder of images, or a text file listing image paths, like those the model will see " +
            $"(training photos, say); up to {OnnxInt8Calibration.DefaultImageCount} of them, spread evenly, set the int8 ranges.",
    };

    /// <summary>Whether ONNX Runtime was chosen (float32 or int8).</summary>
    public static bool IsOnnx(ParseResult parse, Option<string> runtime) => parse.GetValue(runtime) is Onnx or OnnxInt8;

    /// <summary>The loader of the chosen runtime, on the chosen device; ONNX Runtime runs on the CPU only.</summary>
    /// <exception cref="ArgumentException">The options do not go together (the message names them).</exception>
    public static IEmbedderLoader Loader(ParseResult parse, Option<string> runtime, Option<string> device, Option<string?> calibration)
    {
        var where = DeviceOption.Get(parse, device);
        string chosen = parse.GetValue(runtime)!;
        string? calibrationImages = parse.GetValue(calibration);
        if (chosen == OnnxInt8 && calibrationImages is null) throw new ArgumentException("--runtime onnx-int8 needs --calibration-images FOLDER|LIST (images that set the int8 ranges).");
        if (chosen != OnnxInt8 && calibrationImages is not null) throw new ArgumentException($"--calibration-images calibrates --runtime onnx-int8, not --runtime {chosen}.");
        if (!IsOnnx(parse, runtime)) return new TorchEmbedderLoader(new InferenceOptions { Device = where });
        if (where.type != TorchSharp.DeviceType.CPU) throw new ArgumentException($"--runtime {chosen} runs on the CPU; --device {parse.GetValue(device)} needs --runtime torch.");
        return new OnnxEmbedderLoader(int8CalibrationImages: calibrationImages is null ? null : OnnxInt8Calibration.ImagesFrom(calibrationImages));
    }
}
