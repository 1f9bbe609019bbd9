using FashionNet.Data.Annotations;

namespace FashionNet.Data.Imaging;

/// <summary>
/// An axis-aligned view of a source image: the rectangle that becomes the whole output, and whether the output is
/// mirrored left-right. The one definition of where pixels and landmarks go, shared by the resampler and the
/// landmark mapping so the two cannot disagree.
/// </summary>
/// <remarks>
/// Coordinates follow the pixel-centre convention: pixel <c>i</c> covers the continuous interval <c>[i, i+1)</c>,
/// and a landmark at <c>x</c> (DeepFashion's integer pixel coordinates) sits at continuous <c>x + 0.5</c>. The
/// rectangle is continuous and may reach outside the image (that part is padded). A landmark maps to
/// <c>x' = (x + 0.5 - X) * outputWidth / Width - 0.5</c>; mirroring then gives <c>x' = outputWidth - 1 - x'</c>,
/// which sends pixel column <c>i</c> to <c>outputWidth - 1 - i</c> exactly.
/// </remarks>
/// <param name="X">Left edge of the source rectangle (continuous pixels).</param>
/// <param name="Y">Top edge of the source rectangle (continuous pixels).</param>
/// <param name="Width">Width of the source rectangle; positive.</param>
/// <param name="Height">Height of the source rectangle; positive.</param>
/// <param name="Flip">Whether the output is mirrored horizontally (and left/right landmark slots swapped).</param>
public readonly record struct CropGeometry(float X, float Y, float Width, float Height, bool Flip)
{
    /// <summary>Maps a source-image point (pixel coordinates) to output pixel coordinates.</summary>
    /// <param name="x">Source x in pixels.</param>
    /// <param name="y">Source y in pixels.</param>
    /// <param name="outputWidth">Output width in pixels.</param>
    /// <param name="outputHeight">Output height in pixels.</param>
    /// <returns>The output point in pixels.</returns>
    public (float X, float Y) MapPoint(float x, float y, int outputWidth, int outputHeight)
    {
        float u = (x + 0.5f - X) * (outputWidth / Width);
        float v = (y + 0.5f - Y) * (outputHeight / Height);
        if (Flip) u = outputWidth - u;
        return (u - 0.5f, v - 0.5f);
    }

    /// <summary>Maps an output point (pixel coordinates) back to the source image, the inverse of <see cref="MapPoint"/>.</summary>
    /// <param name="x">Output x in pixels.</param>
    /// <param name="y">Output y in pixels.</param>
    /// <param name="outputWidth">Output width in pixels.</param>
    /// <param name="outputHeight">Output height in pixels.</param>
    /// <returns>The source point in pixels.</returns>
    public (float X, float Y) UnmapPoint(float x, float y, int outputWidth, int outputHeight)
    {
        float u = x + 0.5f, v = y + 0.5f;
        if (Flip) u = outputWidth - u;
        return (X + u * (Width / outputWidth) - 0.5f, Y + v * (Height / outputHeight) - 0.5f);
    }

    /// <summary>
    /// Maps landmarks into the output: moves every present landmark like its pixels, moves it to the mirrored slot
    /// when flipping (<see cref="LandmarkLayout.Mirror"/>, presence moves with it), and marks it
    /// <see cref="LandmarkVisibility.Truncated"/> when it lands outside the output (continuous position outside
    /// <c>[0, size)</c>, i.e. pixel coordinates outside <c>[-0.5, size - 0.5)</c>). Occluded and truncated landmarks keep
    /// their visibility inside the output.
    /// </summary>
    /// <param name="landmarks">Source landmarks in source pixels.</param>
    /// <param name="outputWidth">Output width in pixels.</param>
    /// <param name="outputHeight">Output height in pixels.</param>
    /// <returns>The landmarks in output pixels.</returns>
    public LandmarkSet MapLandmarks(LandmarkSet landmarks, int outputWidth, int outputHeight)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        Span<Landmark> mapped = stackalloc Landmark[LandmarkLayout.SlotCount];
        byte presence = 0;
        for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
        {
            if (!landmarks.IsPresent((LandmarkSlot)slot)) continue;
            int target = Flip ? (int)LandmarkLayout.Mirror((LandmarkSlot)slot) : slot;
            Landmark source = landmarks[(LandmarkSlot)slot];
            (float x, float y) = MapPoint(source.X, source.Y, outputWidth, outputHeight);
            bool inside = x >= -0.5f && x < outputWidth - 0.5f && y >= -0.5f && y < outputHeight - 0.5f;
            mapped[target] = new Landmark(x, y, inside ? source.Visibility : LandmarkVisibility.Truncated);
            presence |= (byte)(1 << target);
        }

        return new LandmarkSet(mapped, presence);
    }
}
