using FashionNet.Data.Annotations;

namespace FashionNet.Data.Imaging;

/// <summary>
/// The EXIF orientation of a stored image (tag 0x0112, the same values): how its stored pixel grid must be turned to
/// be upright. Phones store portrait photos as landscape pixels with <see cref="Rotated90"/>. <see cref="ImageDecoder"/>
/// always returns upright pixels; these helpers move annotations, which are coordinates of the stored grid, with them.
/// </summary>
public enum ImageOrientation : ushort
{
    /// <summary>Stored upright (also what an image without the tag is).</summary>
    Upright = 1,

    /// <summary>Stored mirrored left-right.</summary>
    MirroredHorizontally = 2,

    /// <summary>Stored upside down.</summary>
    Rotated180 = 3,

    /// <summary>Stored mirrored top-bottom.</summary>
    MirroredVertically = 4,

    /// <summary>Stored transposed (rows and columns swapped).</summary>
    Transposed = 5,

    /// <summary>Must be turned 90 degrees clockwise to be upright (a phone held upright, camera sensor sideways).</summary>
    Rotated90 = 6,

    /// <summary>Stored transposed about the other diagonal.</summary>
    Transversed = 7,

    /// <summary>Must be turned 90 degrees counter-clockwise to be upright.</summary>
    Rotated270 = 8,
}

/// <summary>
/// Maps points, boxes and landmarks between an image's stored pixel grid and its upright grid. Coordinates follow the
/// pixel-centre convention of <see cref="CropGeometry"/> (pixel <c>i</c> covers <c>[i, i + 1)</c>), so a mirror sends
/// <c>x</c> to <c>width - 1 - x</c> and pixel indices map to pixel indices exactly.
/// </summary>
public static class ImageOrientations
{
    /// <summary>Whether upright width and height are the stored height and width.</summary>
    public static bool SwapsAxes(this ImageOrientation orientation) => orientation is >= ImageOrientation.Transposed and <= ImageOrientation.Rotated270;

    /// <summary>Whether turning upright mirrors the image (left and right landmark slots then trade places).</summary>
    public static bool Mirrors(this ImageOrientation orientation) =>
        orientation is ImageOrientation.MirroredHorizontally or ImageOrientation.MirroredVertically or ImageOrientation.Transposed or ImageOrientation.Transversed;

    /// <summary>The orientation that undoes this one (each is its own inverse except the two quarter turns).</summary>
    public static ImageOrientation Inverse(this ImageOrientation orientation) => orientation switch
    {
        ImageOrientation.Rotated90 => ImageOrientation.Rotated270,
        ImageOrientation.Rotated270 => ImageOrientation.Rotated90,
        _ => orientation,
    };

    /// <summary>The size of the upright image.</summary>
    /// <param name="orientation">The stored image's orientation.</param>
    /// <param name="stored">The stored image's size.</param>
    public static ImageSize UprightSize(this ImageOrientation orientation, ImageSize stored) =>
        orientation.SwapsAxes() ? new ImageSize(stored.Height, stored.Width) : stored;

    /// <summary>Where a point of the stored grid lies in the upright image.</summary>
    /// <param name="orientation">The stored image's orientation.</param>
    /// <param name="x">Stored x in pixels.</param>
    /// <param name="y">Stored y in pixels.</param>
    /// <param name="stored">The stored image's size.</param>
    public static (float X, float Y) ToUpright(this ImageOrientation orientation, float x, float y, ImageSize stored)
    {
        float right = stored.Width - 1 - x, bottom = stored.Height - 1 - y;
        return orientation switch
        {
            ImageOrientation.MirroredHorizontally => (right, y),
            ImageOrientation.Rotated180 => (right, bottom),
            ImageOrientation.MirroredVertically => (x, bottom),
            ImageOrientation.Transposed => (y, x),
            ImageOrientation.Rotated90 => (bottom, x),
            ImageOrientation.Transversed => (bottom, right),
            ImageOrientation.Rotated270 => (y, right),
            _ => (x, y),
        };
    }

    /// <summary>Where a point of the upright image lies in the stored grid (the inverse of <see cref="ToUpright(ImageOrientation, float, float, ImageSize)"/>).</summary>
    /// <param name="orientation">The stored image's orientation.</param>
    /// <param name="x">Upright x in pixels.</param>
    /// <param name="y">Upright y in pixels.</param>
    /// <param name="stored">The stored image's size.</param>
    public static (float X, float Y) ToStored(this ImageOrientation orientation, float x, float y, ImageSize stored) =>
        orientation.Inverse().ToUpright(x, y, orientation.UprightSize(stored));

    /// <summary>A stored-grid box in the upright image.</summary>
    /// <param name="orientation">The stored image's orientation.</param>
    /// <param name="box">First and last pixel of the box in the stored grid.</param>
    /// <param name="stored">The stored image's size.</param>
    public static BoundingBox ToUpright(this ImageOrientation orientation, BoundingBox box, ImageSize stored)
    {
        var (x1, y1) = orientation.ToUpright(box.X1, box.Y1, stored);
        var (x2, y2) = orientation.ToUpright(box.X2, box.Y2, stored);
        return new BoundingBox(Math.Min(x1, x2), Math.Min(y1, y2), Math.Max(x1, x2), Math.Max(y1, y2));
    }

    /// <summary>
    /// Stored-grid landmarks in the upright image; a mirroring orientation moves each landmark to its mirrored slot, as
    /// a flip does (<see cref="CropGeometry.MapLandmarks"/>).
    /// </summary>
    /// <param name="orientation">The stored image's orientation.</param>
    /// <param name="landmarks">Landmarks in the stored grid.</param>
    /// <param name="stored">The stored image's size.</param>
    public static LandmarkSet ToUpright(this ImageOrientation orientation, LandmarkSet landmarks, ImageSize stored)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        if (orientation == ImageOrientation.Upright) return landmarks;
        Span<Landmark> moved = stackalloc Landmark[LandmarkLayout.SlotCount];
        byte presence = 0;
        for (int slot = 0; slot < LandmarkLayout.SlotCount; slot++)
        {
            if (!landmarks.IsPresent((LandmarkSlot)slot)) continue;
            int target = orientation.Mirrors() ? (int)LandmarkLayout.Mirror((LandmarkSlot)slot) : slot;
            Landmark source = landmarks[(LandmarkSlot)slot];
            var (x, y) = orientation.ToUpright(source.X, source.Y, stored);
            moved[target] = source with { X = x, Y = y };
            presence |= (byte)(1 << target);
        }

        return new LandmarkSet(moved, presence);
    }
}
