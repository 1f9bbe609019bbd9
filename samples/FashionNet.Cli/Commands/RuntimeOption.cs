using System.CommandLine;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;

namespace FashionNet.Cli.Commands;

/// <summary>The <c>--runtime torch|onnx</c> option of the commands that embed: what runs the network.</summary>
internal static class RuntimeOption
{
    public const string Torch = "torch";
    public const string Onnx = "onnx";

    public static Option<string> Create()
    {
        var option = new Option<string>("--runtime")
        {
            Description = "What runs the network: torch (LibTorch, the default) or onnx (the model exported to ONNX in memory and run by " +
                "ONNX Runtime on the CPU only: the same index fingerprint, embeddings within 1e-5 of LibTorch's in the tests, more for a " +
                "rare image with a landmark at a cell border or a visibility at the threshold; embedding and prediction only).",
            DefaultValueFactory = _ => Torch,
        };
        option.AcceptOnlyFromAmong(Torch, Onnx);
        return option;
    }

    /// <summary>Whether ONNX Runtime was chosen.</summary>
    public static bool IsOnnx(ParseResult parse, Option<string> runtime) => parse.GetValue(runtime) == Onnx;

    /// <summary>The loader of the chosen runtime, on the chosen device; ONNX Runtime runs on the CPU only.</summary>
    public static IEmbedderLoader Loader(ParseResult parse, Option<string> runtime, Option<string> device)
    {
        var where = DeviceOption.Get(parse, device);
        if (!IsOnnx(parse, runtime)) return new TorchEmbedderLoader(new InferenceOptions { Device = where });
        if (where.type != TorchSharp.DeviceType.CPU) throw new ArgumentException($"--runtime onnx runs on the CPU; --device {parse.GetValue(device)} needs --runtime torch.");
        return new OnnxEmbedderLoader();
    }
}
