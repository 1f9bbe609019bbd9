using FashionNet.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Diagnostics;

public class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", DeviceType.CPU, -1)]
    [InlineData(" CPU ", DeviceType.CPU, -1)]
    [InlineData("cuda", DeviceType.CUDA, 0)]
    [InlineData("cuda:3", DeviceType.CUDA, 3)]
    public void DeviceNamesParse(string text, DeviceType type, int index)
    {
        var device = ComputeDevice.Parse(text);
        Assert.Equal(type, device.type);
        if (type == DeviceType.CUDA) Assert.Equal(index, device.index);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void OtherNamesAreRejectedQuotingTheText(string text)
    {
        var error = Assert.Throws<FormatException>(() => ComputeDevice.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [SkippableFact]
    public void ACudaDeviceWithoutCudaSaysWhatIsMissing()
    {
        Skip.If(cuda.is_available(), "this machine has CUDA");
        Assert.Equal(DeviceType.CPU, ComputeDevice.RequireAvailable(CPU).type);
        var error = Assert.Throws<NotSupportedException>(() => ComputeDevice.RequireAvailable(ComputeDevice.Parse("cuda:1")));
        Assert.Contains("cuda:1", error.Message);
        Assert.Contains("CUDA LibTorch", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
