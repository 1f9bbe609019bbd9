namespace FashionNet.Model.Backbones;

/// <summary>The backbones FashionNet can be built on.</summary>
public enum BackboneKind
{
    /// <summary>ResNet18: trunk to layer3 (256 channels, stride 16), layer4 per branch.</summary>
    ResNet18,

    /// <summary>VGG16, the paper's backbone: trunk to conv4_3 (512 channels, stride 8), conv5 per branch.</summary>
    Vgg16,
}

/// <summary>Creates backbones by kind.</summary>
public static class BackboneFactory
{
    /// <summary>A randomly initialized backbone of the given kind (torchvision's layout, so torchvision state dicts load).</summary>
    public static Backbone Create(BackboneKind kind) => kind switch
    {
        BackboneKind.ResNet18 => ResNet.ResNet18(),
        BackboneKind.Vgg16 => new Vgg16(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown backbone kind."),
    };
}
