using System.Text;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>Garbage in any list file is a clear error naming the file, in strict and in lenient mode alike.</summary>
public sealed class CorruptFileTests : IDisposable
{
    private const DeepFashionFormat Category = DeepFashionFormat.CategoryAttribute;
    private readonly DatasetFolder _folder = new();

    public CorruptFileTests() => Fixtures.WriteCategoryAttribute(_folder);

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyFile(bool lenient)
    {
        _folder.Write(Fixtures.CategoryBoxes, "");
        var error = Assert.Throws<DeepFashionFormatException>(() => _folder.Read(Category, lenient));
        Assert.Equal(_folder.PathOf(Fixtures.CategoryBoxes), error.File);
        Assert.Contains("empty file", error.Problem);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BinaryFile(bool lenient)
    {
        // A JPEG header where a list file should be.
        _folder.WriteBytes(Fixtures.CategoryLandmarks, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x0A, (byte)'\n', 0x01]);
        var error = Assert.Throws<DeepFashionFormatException>(() => _folder.Read(Category, lenient));
        Assert.Equal(_folder.PathOf(Fixtures.CategoryLandmarks), error.File);
        Assert.Equal(1, error.Line);
        Assert.Contains("binary data", error.Problem);
    }

    [Fact]
    public void CountLineThatIsNotANumber()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 1, "three");
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 1, "expected the number of entries, found 'three'");
    }

    [Fact]
    public void MissingHeaderLine()
    {
        _folder.Write(Fixtures.CategoryLabels, "3\nimg/Blouse/img_1.jpg 1\nimg/Jeans/img_2.jpg 2\nimg/Dress/img_3.jpg 3\n");
        _folder.ExpectError(Category, Fixtures.CategoryLabels, 2, "expected the column header starting with 'image_name', found 'img/Blouse/img_1.jpg 1'");
    }

    [Fact]
    public void CountLineOnly()
    {
        _folder.Write(Fixtures.CategoryLabels, "3\n");
        _folder.ExpectError(Category, Fixtures.CategoryLabels, 2, "missing column header");
    }

    [Fact]
    public void HugeLineWithoutLineBreaks()
    {
        _folder.Write(Fixtures.CategoryBoxes, "1\nimage_name x_1 y_1 x_2 y_2\n" + new string('7', 5 << 20));
        _folder.ExpectError(Category, Fixtures.CategoryBoxes, 3, "line longer than 4 MiB");
    }

    [Fact]
    public void InvalidUtf8ImageName()
    {
        var bytes = Encoding.ASCII.GetBytes("3\nimage_name evaluation_status\nimg/a\xFF.jpg train\nimg/Jeans/img_2.jpg val\nimg/Dress/img_3.jpg test\n")
            .Select(b => b == (byte)'?' ? (byte)0xFF : b).ToArray();
        _folder.WriteBytes(Fixtures.CategoryPartition, bytes);
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 3, "column 'image_name' is not valid UTF-8 text");
    }
}
