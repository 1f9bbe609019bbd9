using FashionNet.Model.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public class BackboneTests
{
    [Fact]
    public void ResNet18_maps_have_the_documented_channels_and_strides()
    {
        using var scope = NewDisposeScope();
        using var model = ResNet.ResNet18();
        model.eval();
        var images = randn(2, 3, 64, 64);
        var trunk = model.ForwardTrunk(images);
        Assert.Equal([2L, 256, 4, 4], trunk.shape);
        Assert.Equal([2L, 512, 2, 2], model.ForwardFinalStage(trunk).shape);
        Assert.Equal([2L, 512], model.forward(images).shape);
        Assert.Equal((256, 16, 512), (model.TrunkChannels, model.TrunkStride, model.FinalStageChannels));
    }

    [Fact]
    public void ResNet18_keeps_torchvision_parameter_names()
    {
        using var model = ResNet.ResNet18();
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("bn1.running_var", names);
        Assert.Contains("layer1.0.conv1.weight", names);
        Assert.Contains("layer2.0.downsample.0.weight", names);
        Assert.Contains("layer4.1.bn2.bias", names);
        Assert.DoesNotContain("layer4.2.conv1.weight", names);
        Assert.Equal(11_176_512L, model.parameters().Sum(p => p.numel())); // torchvision resnet18 without fc
    }

    [Fact]
    public void Vgg16_maps_have_the_documented_channels_and_strides()
    {
        using var scope = NewDisposeScope();
        using var model = new Vgg16();
        var images = randn(1, 3, 32, 32);
        var trunk = model.ForwardTrunk(images);
        Assert.Equal([1L, 512, 4, 4], trunk.shape);
        Assert.Equal([1L, 512, 1, 1], model.ForwardFinalStage(trunk).shape);
        Assert.Equal([1L, 512], model.forward(images).shape);
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("features.0.weight", names);
        Assert.Contains("features.21.weight", names); // conv4_3
        Assert.Contains("features.28.bias", names); // conv5_3
        Assert.Equal(14_714_688L, model.parameters().Sum(p => p.numel())); // torchvision vgg16.features
    }

    [Fact]
    public void Frozen_trunk_gets_no_gradient_and_keeps_its_batch_norm_statistics()
    {
        using var scope = NewDisposeScope();
        using var model = ResNet.ResNet18();
        model.FreezeTrunk();
        model.train();
        var meanBefore = model.state_dict()["layer1.0.bn1.running_mean"].clone();
        var finalMeanBefore = model.state_dict()["layer4.0.bn1.running_mean"].clone();

        model.forward(randn(2, 3, 64, 64)).sum().backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.StartsWith("layer4.", StringComparison.Ordinal)) Assert.NotNull(parameter.grad);
            else
            {
                Assert.False(parameter.requires_grad, name);
                Assert.Null(parameter.grad);
            }
        }
        Assert.True(model.state_dict()["layer1.0.bn1.running_mean"].eq(meanBefore).all().item<bool>());
        Assert.False(model.state_dict()["layer4.0.bn1.running_mean"].eq(finalMeanBefore).all().item<bool>());

        model.FreezeTrunk(false);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Vgg16_frozen_trunk_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        using var model = new Vgg16();
        model.FreezeTrunk();
        model.forward(randn(1, 3, 32, 32)).sum().backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            int index = int.Parse(name.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
            if (index >= 23) Assert.NotNull(parameter.grad);
            else Assert.Null(parameter.grad);
        }
    }

    [Fact]
    public void Cloned_final_stage_computes_the_same_map_with_its_own_parameters()
    {
        using var scope = NewDisposeScope();
        foreach (Backbone model in new Backbone[] { ResNet.ResNet18(), new Vgg16() })
        {
            using (model)
            {
                model.eval();
                using var clone = model.CloneFinalStage();
                var trunk = randn(1, model.TrunkChannels, 4, 4);
                Assert.True(allclose(model.ForwardFinalStage(trunk), clone.forward(trunk)));
                var own = model.parameters().Select(p => p.Handle).ToHashSet();
                Assert.DoesNotContain(clone.parameters(), p => own.Contains(p.Handle));
                Assert.False(clone.training);
            }
        }
    }
}
