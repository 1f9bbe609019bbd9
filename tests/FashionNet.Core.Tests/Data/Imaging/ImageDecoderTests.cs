using System.Buffers.Binary;
using System.IO.Hashing;
using FashionNet.Data.Imaging;
using FashionNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Tests.Data.Imaging;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fashionnet-decode-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteJpeg(int width, int height, string name = "ok.jpg")
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 30, 60));
        string path = Path.Combine(_dir, name);
        image.SaveAsJpeg(path);
        return path;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Decodes_a_valid_jpeg_to_rgb()
    {
        using var image = new ImageDecoder().Decode(WriteJpeg(40, 30));
        Assert.Equal(40, image.Width);
        Assert.Equal(30, image.Height);
        Rgb24 pixel = image[20, 15];
        Assert.InRange(pixel.R, 190, 210);
        Assert.InRange(pixel.G, 20, 40);
    }

    [Fact]
    public void Rejects_an_image_over_the_pixel_budget_from_its_header()
    {
        string path = WriteJpeg(100, 100);
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageDecoderOptions { MaxPixels = 9_999 }).Decode(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("100x100", error.Message);
        Assert.Contains("budget", error.Message);
    }

    [Fact]
    public void Rejects_a_huge_declared_size_without_allocating_it()
    {
        // A valid PNG header that declares 60000 x 60000 pixels (10.8 GB as RGB), followed by no data.
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0, 0, 0, 0, 0];
        string path = Write("bomb.png", png);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(path));
        Assert.Contains(path, error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
    }

    [Fact]
    public void Rejects_empty_missing_and_non_image_files_naming_them()
    {
        var decoder = new ImageDecoder();
        string empty = Write("empty.jpg", []);
        string text = Write("notes.jpg", "image_name item_id\n"u8.ToArray());
        string missing = Path.Combine(_dir, "missing.jpg");
        Assert.Contains("empty", Assert.Throws<ImageDecodeException>(() => decoder.Decode(empty)).Message);
        Assert.Contains("not a supported image format", Assert.Throws<ImageDecodeException>(() => decoder.Decode(text)).Message);
        Assert.Contains("does not exist", Assert.Throws<ImageDecodeException>(() => decoder.Decode(missing)).Message);
        Assert.Equal(missing, Assert.Throws<ImageDecodeException>(() => decoder.Decode(missing)).FilePath);
    }

    [Fact]
    public void Rejects_truncated_jpegs_naming_them()
    {
        var decoder = new ImageDecoder();
        byte[] good = File.ReadAllBytes(WriteJpeg(64, 64));
        foreach (int keep in new[] { 2, 20, good.Length / 2, good.Length - 2 })
        {
            string path = Write($"cut{keep}.jpg", good[..keep]);
            var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(path));
            Assert.Equal(path, error.FilePath);
        }
    }

    [Fact]
    public void Corrupt_pixel_data_behind_valid_headers_is_rejected_naming_the_file()
    {
        // A PNG whose headers and chunk checksums are intact but whose compressed pixel data is broken (the first
        // deflate block declares the reserved block type 3): the header reads, the pixels cannot be decoded, so the
        // file must be refused naming it, not turned into a blank or partial image of the declared size.
        string goodPath = Path.Combine(_dir, "ok.png");
        using (var source = new Image<Rgb24>(32, 32, new Rgb24(10, 200, 90))) source.SaveAsPng(goodPath);
        byte[] bytes = File.ReadAllBytes(goodPath);
        int type = bytes.AsSpan().IndexOf("IDAT"u8);
        Assert.True(type > 4, "the encoded PNG has no IDAT chunk");
        int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(type - 4));
        bytes[type + 4 + 2] = 0b111; // after the 2-byte zlib header: final block, block type 3 (reserved)
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(type + 4 + length), Crc32.HashToUInt32(bytes.AsSpan(type, 4 + length)));
        string path = Write("broken-deflate.png", bytes);

        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("corrupt image data", error.Message);
    }

    [Fact]
    public void Scrambled_jpeg_headers_are_rejected_naming_the_file_or_decode_to_their_declared_size()
    {
        var decoder = new ImageDecoder();
        byte[] good = File.ReadAllBytes(WriteJpeg(64, 64));

        // Scrambled header segments: each file is rejected naming it, or decodes to the size its frame header declares
        // (64 x 64 unless the scrambling hit those bytes); never a crash or a hang.
        var random = new Random(7);
        int rejected = 0, accepted = 0;
        for (int trial = 0; trial < 20; trial++)
        {
            byte[] bytes = (byte[])good.Clone();
            for (int i = 0; i < 8; i++) bytes[random.Next(2, Math.Min(bytes.Length, 600))] = (byte)random.Next(256);
            string path = Write($"noise{trial}.jpg", bytes);
            try
            {
                using var image = decoder.Decode(path);
                accepted++;
                Assert.Equal(FrameSize(bytes), ((int, int)?)(image.Width, image.Height));
            }
            catch (ImageDecodeException error)
            {
                rejected++;
                Assert.Equal(path, error.FilePath);
            }
        }

        Assert.True(rejected > 0, $"all {accepted} scrambled files decoded: the corruption checks never fired");
    }

    /// <summary>Width and height from a JPEG's start-of-frame segment, found by walking the marker segments; null when the walk breaks.</summary>
    private static (int Width, int Height)? FrameSize(byte[] jpeg)
    {
        for (int at = 2; at + 8 < jpeg.Length && jpeg[at] == 0xFF;)
        {
            byte marker = jpeg[at + 1];
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return ((jpeg[at + 7] << 8) | jpeg[at + 8], (jpeg[at + 5] << 8) | jpeg[at + 6]);
            at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
        }
        return null;
    }

    [Fact]
    public void Rejects_multi_frame_formats()
    {
        using var image = new Image<Rgb24>(8, 8);
        string gif = Path.Combine(_dir, "animated.gif");
        image.SaveAsGif(gif);
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(gif));
        Assert.Contains(ImageDecoder.SupportedFormats, error.Message);
    }

    [Fact]
    public void Rejects_a_file_over_the_byte_limit()
    {
        string path = WriteJpeg(64, 64);
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageDecoderOptions { MaxFileBytes = 100 }).Decode(path));
        Assert.Contains("exceed the limit", error.Message);
    }

    [SkippableFact]
    public void Decodes_real_deepfashion_jpegs()
    {
        string root = SharedData.Require(SharedData.InShopSample);
        var decoder = new ImageDecoder();
        foreach (string path in Directory.EnumerateFiles(Path.Combine(root, "img"), "*.jpg", SearchOption.AllDirectories).Order().Take(8))
        {
            using var image = decoder.Decode(path);
            Assert.Equal(256, image.Width);
            Assert.Equal(256, image.Height);
        }
    }
}
