namespace FashionNet.Data.Annotations;

/// <summary>An axis-aligned box in image pixels: (<see cref="X1"/>, <see cref="Y1"/>) upper left, (<see cref="X2"/>, <see cref="Y2"/>) lower right.</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge.</param>
/// <param name="Y2">Bottom edge.</param>
public readonly record struct BoundingBox(float X1, float Y1, float X2, float Y2)
{
    /// <summary>Width, <c>X2 - X1</c>.</summary>
    public float Width => X2 - X1;

    /// <summary>Height, <c>Y2 - Y1</c>.</summary>
    public float Height => Y2 - Y1;
}
