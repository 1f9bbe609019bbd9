namespace FashionNet.Model.Backbones;

/// <summary>The backbones FashionNet can be built on (new kinds are appended: recipes store the name).</summary>
public enum BackboneKind
{
    /// <summary>ResNet18: trunk to layer3 (256 channels, stride 16), layer4 (512 channels) per branch.</summary>
    ResNet18,

    /// <summary>VGG16, the paper's backbone: trunk to conv4_3 (512 channels, stride 8), conv5 per branch.</summary>
    Vgg16,

    /// <summary>ResNet34: trunk to layer3 (256 channels, stride 16), layer4 (512 channels) per branch.</summary>
    ResNet34,

    /// <summary>ResNet50 (bottleneck blocks): trunk to layer3 (1024 channels, stride 16), layer4 (2048 channels) per branch.</summary>
    ResNet50,
}
