using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Tests.Data.Imaging;

/// <summary>
/// EXIF orientation: a photo stored sideways with its orientation tag (as phones store portraits) must come out of the
/// decoder upright, and annotations of the stored pixel grid must follow the pixels.
/// </summary>
public sealed class ImageOrientationTests : IDisposable
{
    private static readonly Rgb24 Marker = new(255, 0, 0);
    private readonly string _dir = Directory.CreateTempSubdirectory("fashionnet-orientation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A black PNG of the stored grid with one red pixel, tagged with <paramref name="orientation"/>.</summary>
    private string WriteTagged(int width, int height, int markerX, int markerY, ImageOrientation orientation, string name = "stored.png")
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(0, 0, 0));
        image[markerX, markerY] = Marker;
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        string path = Path.Combine(_dir, name);
        image.SaveAsPng(path);
        return path;
    }

    private static (int X, int Y) FindMarker(Image<Rgb24> image)
    {
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (image[x, y].Equals(Marker)) return (x, y);
        throw new Xunit.Sdk.XunitException("marker not found");
    }

    [Theory]
    [InlineData(ImageOrientation.Upright)]
    [InlineData(ImageOrientation.MirroredHorizontally)]
    [InlineData(ImageOrientation.Rotated180)]
    [InlineData(ImageOrientation.MirroredVertically)]
    [InlineData(ImageOrientation.Transposed)]
    [InlineData(ImageOrientation.Rotated90)]
    [InlineData(ImageOrientation.Transversed)]
    [InlineData(ImageOrientation.Rotated270)]
    public void TheDecoderTurnsPixelsUprightWhereTheMappingSendsPoints(ImageOrientation orientation)
    {
        var stored = new ImageSize(7, 4);
        string path = WriteTagged(stored.Width, stored.Height, 1, 0, orientation);

        using var image = new ImageDecoder().Decode(path, out var reported);

        Assert.Equal(orientation, reported);
        Assert.Equal(orientation.UprightSize(stored), new ImageSize(image.Width, image.Height));
        var (x, y) = orientation.ToUpright(1, 0, stored);
        Assert.Equal(((int)x, (int)y), FindMarker(image));
        Assert.Equal((1f, 0f), orientation.ToStored(x, y, stored));
    }

    [Fact]
    public void APortraitPhoneStyleJpegDecodesUpright()
    {
        // Stored 60 wide and 40 high, tagged "turn 90 degrees clockwise": upright it is 40 wide and 60 high, and the
        // stored bottom-left corner is its top-left.
        using var stored = new Image<Rgb24>(60, 40, new Rgb24(0, 0, 0));
        for (int y = 30; y < 40; y++)
            for (int x = 0; x < 10; x++)
                stored[x, y] = new Rgb24(250, 250, 250);
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        string path = Path.Combine(_dir, "portrait.jpg");
        stored.SaveAsJpeg(path);

        using var image = new ImageDecoder().Decode(File.ReadAllBytes(path), "portrait.jpg");

        Assert.Equal((40, 60), (image.Width, image.Height));
        Assert.True(image[4, 4].R > 200, "the stored bottom-left corner should be the upright top-left");
        Assert.True(image[35, 55].R < 50);
    }

    [Fact]
    public void TheLoaderMovesStoredGridAnnotationsWithTheTurnedPixels()
    {
        // The marker at stored (2, 9) of a 12 x 10 image tagged Rotated90, annotated there (and boxed) in the stored grid.
        var stored = new ImageSize(12, 10);
        string path = WriteTagged(stored.Width, stored.Height, 2, 9, ImageOrientation.Rotated90, "annotated.png");
        Span<Landmark> slots = stackalloc Landmark[LandmarkLayout.SlotCount];
        slots[(int)LandmarkSlot.LeftCollar] = new Landmark(2, 9, LandmarkVisibility.Visible);
        var sample = new FashionSample
        {
            ImagePath = path,
            BoundingBox = new BoundingBox(0, 0, 11, 9),
            Landmarks = new LandmarkSet(slots, 1 << (int)LandmarkSlot.LeftCollar),
        };
        var dataset = new FashionDataset(DeepFashionFormat.Landmarks, _dir, [sample], [], [], [], [], new ParseReport());
        var transform = new ImageTransform(new ImageTransformOptions { OutputSize = 20, BoxMargin = 0 });
        var loader = new FashionDataLoader(dataset, new SequentialBatchSampler([0], 1), transform, normalizer: null);

        using var batch = loader.LoadBatch([0], 0, 0);

        // Upright the image is 10 x 12 and the marker at (0, 2); the square crop is 12 x 12 from x = -1, scaled by 20/12.
        Assert.Equal(ImageOrientation.Rotated90, batch.SourceOrientations[0]);
        Assert.Equal(stored, batch.SourceSizes[0]);
        float[] landmark = [.. batch.Landmarks.Positions.data<float>().ToArray()[..2].Select(v => v * 20)]; // normalized -> input pixels
        var (brightestX, brightestY) = BrightestRed(batch.Images.data<float>().ToArray(), 20);
        Assert.InRange(Math.Abs(landmark[0] - brightestX), 0, 1.01f);
        Assert.InRange(Math.Abs(landmark[1] - brightestY), 0, 1.01f);
        Assert.True(brightestY < 10, "upright, the marker is in the top half");
    }

    private static (int X, int Y) BrightestRed(float[] planar, int size)
    {
        int best = 0;
        for (int i = 1; i < size * size; i++)
            if (planar[i] - planar[size * size + i] > planar[best] - planar[size * size + best]) best = i;
        return (best % size, best / size);
    }
}
