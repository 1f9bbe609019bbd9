using FashionNet.Model.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public class BackboneTests
{
    /// <summary>Per kind: input size, channels of the trunk / stride-8 / final-stage maps, trunk stride.</summary>
    public static TheoryData<BackboneKind, int, int, int, int, int> DocumentedMaps => new()
    {
        { BackboneKind.ResNet18, 64, 256, 128, 512, 16 },
        { BackboneKind.ResNet34, 64, 256, 128, 512, 16 },
        { BackboneKind.ResNet50, 64, 1024, 512, 2048, 16 },
        { BackboneKind.Vgg16, 32, 512, 512, 512, 8 },
    };

    [Fact]
    public void Every_backbone_kind_has_documented_maps()
    {
        var covered = DocumentedMaps.Select(row => (BackboneKind)row[0]).Order();
        Assert.Equal(Enum.GetValues<BackboneKind>().Order(), covered);
    }

    [Theory]
    [MemberData(nameof(DocumentedMaps))]
    public void Maps_have_the_documented_channels_and_strides(BackboneKind kind, int size, int trunkChannels, int stride8Channels, int finalChannels, int trunkStride)
    {
        using var scope = NewDisposeScope();
        using var model = BackboneFactory.Create(kind);
        model.eval();
        using var noGrad = no_grad();
        var images = randn(2, 3, size, size);

        using var maps = model.ForwardTrunkMaps(images);
        int trunkSide = size / trunkStride, stride8Side = size / 8;
        Assert.Equal([2L, trunkChannels, trunkSide, trunkSide], maps.Trunk.shape);
        Assert.Equal([2L, stride8Channels, stride8Side, stride8Side], maps.Stride8.shape);
        Assert.True(maps.Trunk.eq(model.ForwardTrunk(images)).all().item<bool>());
        Assert.Equal([2L, finalChannels, size / 32, size / 32], model.ForwardFinalStage(maps.Trunk).shape);
        Assert.Equal([2L, finalChannels], model.forward(images).shape);

        Assert.Equal((trunkChannels, stride8Channels, finalChannels), (model.ChannelsOf(BackboneMap.Trunk), model.ChannelsOf(BackboneMap.Stride8), model.FinalStageChannels));
        Assert.Equal(trunkChannels, model.TrunkChannels);
        Assert.Equal((trunkStride, 8), (model.StrideOf(BackboneMap.Trunk), model.StrideOf(BackboneMap.Stride8)));
        Assert.Same(maps.Trunk, maps[BackboneMap.Trunk]);
        Assert.Same(maps.Stride8, maps[BackboneMap.Stride8]);
        // Where the trunk already ends at stride 8 (VGG16's conv4_3) there is one map, not a copy.
        Assert.Equal(trunkStride == 8, ReferenceEquals(maps.Trunk, maps.Stride8));
    }

    [Fact]
    public void Undefined_map_is_refused()
    {
        using var model = NarrowBottleneckResNet();
        var undefined = (BackboneMap)7;
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ChannelsOf(undefined));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.StrideOf(undefined));
        using var scope = NewDisposeScope();
        using var maps = model.ForwardTrunkMaps(randn(1, 3, 32, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => maps[undefined]);
    }

    [Fact]
    public void ResNet_widths_and_block_kind_set_every_stage()
    {
        using var model = NarrowBottleneckResNet();
        Assert.Equal((64, 128, 256), (model.ChannelsOf(BackboneMap.Stride8), model.ChannelsOf(BackboneMap.Trunk), model.FinalStageChannels));
        var shapes = model.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.shape);
        Assert.Equal([8L, 64, 1, 1], shapes["layer1.0.conv1.weight"]); // stem stays 64 channels, as torchvision's
        Assert.Equal([16L, 16, 3, 3], shapes["layer2.0.conv2.weight"]);
        Assert.Equal([256L, 64, 1, 1], shapes["layer4.0.conv3.weight"]);
        Assert.Equal([256L, 128, 1, 1], shapes["layer4.0.downsample.0.weight"]);
        Assert.DoesNotContain("layer1.1.conv1.weight", shapes.Keys);

        Assert.Throws<ArgumentException>(() => new ResNet(ResidualBlockKind.Basic, [2, 2, 2]));
        Assert.Throws<ArgumentException>(() => new ResNet(ResidualBlockKind.Basic, [2, 2, 2, 2], [64, 128, 0, 512]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResNet((ResidualBlockKind)5, [2, 2, 2, 2]));
    }

    [Fact]
    public void Stride8_map_is_the_stem_to_layer2_run_by_hand()
    {
        using var scope = NewDisposeScope();
        foreach (var model in new[] { ResNet.ResNet18(), NarrowBottleneckResNet() })
        {
            using (model)
            {
                model.eval();
                using var noGrad = no_grad();
                var images = randn(2, 3, 48, 48);
                var part = model.named_children().ToDictionary(child => child.name, child => (nn.Module<Tensor, Tensor>)child.module);
                var x = nn.functional.relu(part["bn1"].forward(part["conv1"].forward(images)));
                x = nn.functional.max_pool2d(x, 3, stride: 2, padding: 1);
                var layer2 = part["layer2"].forward(part["layer1"].forward(x));

                using var maps = model.ForwardTrunkMaps(images);
                Assert.True(maps.Stride8.eq(layer2).all().item<bool>(), model.Block.ToString());
                Assert.True(maps.Trunk.eq(part["layer3"].forward(layer2)).all().item<bool>(), model.Block.ToString());
            }
        }
    }

    [Fact]
    public void Vgg16_stride8_map_is_conv4_3_run_by_hand()
    {
        using var scope = NewDisposeScope();
        using var model = new Vgg16();
        using var noGrad = no_grad();
        var images = randn(1, 3, 32, 32);
        var x = images;
        foreach (var layer in model.named_children().Single(child => child.name == "features").module.children().Take(23))
            x = ((nn.Module<Tensor, Tensor>)layer).forward(x);
        using var maps = model.ForwardTrunkMaps(images);
        Assert.True(maps.Stride8.eq(x).all().item<bool>());
    }

    [Fact]
    public void Gradients_flow_through_the_stride8_map_to_the_layers_before_it_only()
    {
        using var scope = NewDisposeScope();
        using var model = NarrowBottleneckResNet();
        model.train();
        using (var maps = model.ForwardTrunkMaps(randn(2, 3, 32, 32)))
            maps.Stride8.square().mean().backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            bool beforeStride8 = !name.StartsWith("layer3.", StringComparison.Ordinal) && !name.StartsWith("layer4.", StringComparison.Ordinal);
            if (beforeStride8)
            {
                Assert.NotNull(parameter.grad);
                Assert.True(parameter.grad.abs().sum().item<float>() > 0, name);
            }
            else Assert.Null(parameter.grad);
        }
    }

    [Fact]
    public void Trunk_maps_belong_to_the_callers_dispose_scope()
    {
        using var outer = NewDisposeScope();
        using var model = new Vgg16();
        var images = randn(1, 3, 16, 16);
        TrunkMaps maps;
        using (NewDisposeScope()) maps = model.ForwardTrunkMaps(images);
        // The shared VGG16 map was moved out of the backbone's scope once, into the caller's: gone with it.
        Assert.True(maps.Trunk.IsInvalid);

        using var resnet = NarrowBottleneckResNet();
        using (NewDisposeScope()) maps = resnet.ForwardTrunkMaps(images);
        Assert.True(maps.Trunk.IsInvalid && maps.Stride8.IsInvalid);

        maps = model.ForwardTrunkMaps(images);
        maps.Dispose();
        Assert.True(maps.Trunk.IsInvalid);
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
    public void Vgg16_keeps_torchvision_parameter_names()
    {
        using var model = new Vgg16();
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("features.0.weight", names);
        Assert.Contains("features.21.weight", names); // conv4_3
        Assert.Contains("features.28.bias", names); // conv5_3
        Assert.Equal(14_714_688L, model.parameters().Sum(p => p.numel())); // torchvision vgg16.features
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
        foreach (Backbone model in new Backbone[] { ResNet.ResNet18(), NarrowBottleneckResNet(), new Vgg16() })
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

    /// <summary>A bottleneck ResNet at an eighth of torchvision's widths and one block per stage: fast, same structure as ResNet50.</summary>
    private static ResNet NarrowBottleneckResNet() => new(ResidualBlockKind.Bottleneck, [1, 1, 1, 1], [8, 16, 32, 64]);
}
