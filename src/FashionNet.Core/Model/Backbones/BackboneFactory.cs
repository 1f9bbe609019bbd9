namespace FashionNet.Model.Backbones;

/// <summary>Creates backbones by kind.</summary>
public static class BackboneFactory
{
    /// <summary>A randomly initialized backbone of the given kind (torchvision's layout, so torchvision state dicts load).</summary>
    public static Backbone Create(BackboneKind kind) => kind switch
    {
        BackboneKind.ResNet18 => ResNet.ResNet18(),
        BackboneKind.ResNet34 => ResNet.ResNet34(),
        BackboneKind.ResNet50 => ResNet.ResNet50(),
        BackboneKind.Vgg16 => new Vgg16(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown backbone kind."),
    };
}
