using System.CommandLine;
using FashionNet.Diagnostics;
using static TorchSharp.torch;

namespace FashionNet.Cli.Commands;

/// <summary>The <c>--device cpu|cuda[:N]</c> option of the commands that run a model.</summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the model runs: cpu, cuda or cuda:N (a CUDA device needs a CUDA LibTorch and an NVIDIA driver).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device given, checked to be available here; errors name the option.</summary>
    public static Device Get(ParseResult parse, Option<string> option)
    {
        try
        {
            return ComputeDevice.RequireAvailable(ComputeDevice.Parse(parse.GetValue(option)!));
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            throw new ArgumentException($"--device: {e.Message}", e);
        }
    }
}
