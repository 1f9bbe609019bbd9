namespace FashionNet.Data.Imaging;

/// <summary>The pixel size of an image.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct ImageSize(int Width, int Height);
