namespace FashionNet.Model.Backbones;

/// <summary>The feature maps a <see cref="Backbone"/>'s trunk pass yields (see <see cref="Backbone.ForwardTrunkMaps"/>).</summary>
public enum BackboneMap
{
    /// <summary>
    /// The trunk's output, the "conv4" map the final stage continues from: ResNet's layer3 (stride 16), VGG16's
    /// conv4_3 (stride 8).
    /// </summary>
    Trunk,

    /// <summary>
    /// The last map at stride 8 (28 x 28 at 224 px, the resolution the paper pools landmarks on): ResNet's layer2,
    /// VGG16's conv4_3 (there the same map as <see cref="Trunk"/>).
    /// </summary>
    Stride8,
}
