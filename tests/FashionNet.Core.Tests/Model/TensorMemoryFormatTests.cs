using FashionNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public sealed class TensorMemoryFormatTests
{
    [Fact]
    public void ChannelsLastKeepsShapeAndValuesWithNhwcStrides()
    {
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 5, 4);

        var relaid = images.ToMemoryFormat(TensorMemoryFormat.ChannelsLast);

        Assert.Equal(images.shape, relaid.shape);
        Assert.Equal([60L, 1, 12, 3], relaid.stride());
        Assert.True(TensorMemoryFormats.IsChannelsLast(relaid));
        Assert.False(TensorMemoryFormats.IsChannelsLast(images));
        Assert.True(relaid.eq(images).all().item<bool>());
        // Nothing to do: the same tensor comes back.
        Assert.Same(images, images.ToMemoryFormat(TensorMemoryFormat.Contiguous));
        Assert.Same(relaid, relaid.ToMemoryFormat(TensorMemoryFormat.ChannelsLast));
        var vector = randn(7);
        Assert.Same(vector, vector.ToMemoryFormat(TensorMemoryFormat.ChannelsLast));
        // Size-1 dimensions do not count, as in PyTorch: a 1 x 1 kernel's weight lies the same in both layouts.
        Assert.True(TensorMemoryFormats.IsChannelsLast(randn(8, 4, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => images.ToMemoryFormat((TensorMemoryFormat)9));
    }

    [Fact]
    public void ConvolutionWeightsAreRelaidInPlaceAndTheConvolutionFollowsThem()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var convolution = nn.Conv2d(3, 8, 3, padding: 1);
        var input = randn(2, 3, 6, 6, requires_grad: true);
        var expected = convolution.forward(input).detach();
        var weight = convolution.parameters().Single(p => p.dim() == 4);
        var values = weight.detach().clone();

        convolution.ApplyMemoryFormat(TensorMemoryFormat.ChannelsLast);

        var relaid = convolution.parameters().Single(p => p.dim() == 4);
        Assert.Same(weight, relaid);
        Assert.True(TensorMemoryFormats.IsChannelsLast(relaid));
        Assert.True(relaid.eq(values).all().item<bool>());
        Assert.True(relaid.requires_grad);
        var output = convolution.forward(input);
        // LibTorch's CPU convolution takes its layout from the weight: the output comes out channels-last, same values.
        Assert.True(TensorMemoryFormats.IsChannelsLast(output));
        Assert.True(output.allclose(expected, rtol: 0, atol: 1e-5));
        output.sum().backward();
        Assert.Equal(relaid.shape, relaid.grad!.shape);
    }
}
