using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>Each problem the strict reader must stop at, with the file, line and problem it names.</summary>
public sealed class StrictReadingTests : IDisposable
{
    private const DeepFashionFormat Category = DeepFashionFormat.CategoryAttribute;
    private readonly DatasetFolder _folder = new();

    public StrictReadingTests() => Fixtures.WriteCategoryAttribute(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void CountLineDisagreeingWithTheRows()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 1, "4");
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 1, "declares 4 entries but the file has 3 rows");
    }

    [Fact]
    public void RowsBeyondTheCount()
    {
        _folder.AppendLine(Fixtures.CategoryBoxes, "img/Blouse/img_1.jpg 1 1 2 2");
        _folder.ExpectError(Category, Fixtures.CategoryBoxes, 6, "duplicate row for image 'img/Blouse/img_1.jpg' (first on line 3)");
    }

    [Fact]
    public void WrongColumnCount()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 4, "img/Jeans/img_2.jpg val extra");
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 4, "expected 2 columns (image_name evaluation_status), found 3");
    }

    [Fact]
    public void BadNumber()
    {
        _folder.ReplaceLine(Fixtures.CategoryBoxes, 4, "img/Jeans/img_2.jpg 7 8 9O 200");
        _folder.ExpectError(Category, Fixtures.CategoryBoxes, 4, "column 'x_2': '9O' is not a number");
    }

    [Fact]
    public void UnknownEvaluationStatus()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 5, "img/Dress/img_3.jpg gallery");
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 5, "unknown evaluation status 'gallery' (expected train, val, test)");
    }

    [Fact]
    public void UnknownClothesType()
    {
        _folder.ReplaceLine(Fixtures.CategoryLandmarks, 4, "img/Jeans/img_2.jpg 4 2 0 1 1 0 2 2 0 3 3 0 4 4");
        _folder.ExpectError(Category, Fixtures.CategoryLandmarks, 4, "unknown clothes type 4");
    }

    [Fact]
    public void LandmarkCountNotFittingTheClothesType()
    {
        // A lower-body row (4 landmarks) labelled upper-body (6).
        _folder.ReplaceLine(Fixtures.CategoryLandmarks, 4, "img/Jeans/img_2.jpg 1 2 0 1 1 0 2 2 0 3 3 0 4 4");
        _folder.ExpectError(Category, Fixtures.CategoryLandmarks, 4, "clothes type 1 (Upper) has 6 landmarks (18 values after variation_type), the row has 12 values");
    }

    [Fact]
    public void LandmarkValuesNotInTriples()
    {
        _folder.ReplaceLine(Fixtures.CategoryLandmarks, 4, "img/Jeans/img_2.jpg 2 2 0 1 1 0 2 2 0 3 3 0 4");
        _folder.ExpectError(Category, Fixtures.CategoryLandmarks, 4, "the row has 11 values");
    }

    [Fact]
    public void UnknownVisibility()
    {
        _folder.ReplaceLine(Fixtures.CategoryLandmarks, 4, "img/Jeans/img_2.jpg 2 2 0 1 1 3 2 2 0 3 3 0 4 4");
        _folder.ExpectError(Category, Fixtures.CategoryLandmarks, 4, "landmark 2: unknown visibility 3");
    }

    [Fact]
    public void DuplicateImage()
    {
        _folder.WriteList(Fixtures.CategoryPartition, "image_name evaluation_status",
            ["img/Blouse/img_1.jpg train", "img/Jeans/img_2.jpg val", "img/Dress/img_3.jpg test", "img/Blouse/img_1.jpg test"]);
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 6, "duplicate image 'img/Blouse/img_1.jpg' (first on line 3)");
    }

    [Fact]
    public void MissingImageFile()
    {
        File.Delete(_folder.PathOf("img/Jeans/img_2.jpg"));
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 4, "image file 'img/Jeans/img_2.jpg' not found");
    }

    [Fact]
    public void MissingImageFileIsNotCheckedWhenTheCheckIsOff()
    {
        File.Delete(_folder.PathOf("img/Jeans/img_2.jpg"));
        var dataset = DeepFashionReader.Read(_folder.Root, Category, new ReaderOptions { CheckImageFiles = false });
        Assert.Equal(3, dataset.Samples.Count);
    }

    [Fact]
    public void AnnotationForAnImageNotInThePartition()
    {
        _folder.ReplaceLine(Fixtures.CategoryLabels, 5, "img/Dress/img_4.jpg 3");
        _folder.ExpectError(Category, Fixtures.CategoryLabels, 5, "image 'img/Dress/img_4.jpg' is not in list_eval_partition.txt");
    }

    [Fact]
    public void CategoryLabelZeroIsOutOfRange()
    {
        _folder.ReplaceLine(Fixtures.CategoryLabels, 3, "img/Blouse/img_1.jpg 0");
        _folder.ExpectError(Category, Fixtures.CategoryLabels, 3, "category label 0 out of range 1..3 (labels are 1-based)");
    }

    [Fact]
    public void CategoryLabelBeyondTheNameTable()
    {
        _folder.ReplaceLine(Fixtures.CategoryLabels, 4, "img/Jeans/img_2.jpg 4");
        _folder.ExpectError(Category, Fixtures.CategoryLabels, 4, "category label 4 out of range 1..3");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-")]
    [InlineData("--1")]
    [InlineData("-10")]
    [InlineData("1-1")]
    [InlineData("+1")]
    [InlineData("00")]
    public void BadAttributeValue(string value)
    {
        _folder.ReplaceLine(Fixtures.ImageAttributes, 4, $"img/Jeans/img_2.jpg -1 {value} -1 -1");
        _folder.ExpectError(Category, Fixtures.ImageAttributes, 4, $"attribute value 2: '{value}' is not 1, -1 or 0 (unknown)");
    }

    [Theory]
    [InlineData("img/Jeans/img_2.jpg -1 -1 -1", "expected 4 attribute values, found 3")]
    [InlineData("img/Jeans/img_2.jpg -1 -1 -1 1 1 1", "expected 4 attribute values, found 6")]
    public void WrongNumberOfAttributeValues(string row, string problem)
    {
        _folder.ReplaceLine(Fixtures.ImageAttributes, 4, row);
        _folder.ExpectError(Category, Fixtures.ImageAttributes, 4, problem);
    }

    [Fact]
    public void AttributeTypeMustBeTheLastToken()
    {
        _folder.ReplaceLine(Fixtures.AttributeNames, 4, "floral print");
        _folder.ExpectError(Category, Fixtures.AttributeNames, 4, "column 'attribute_type': 'print' is not an integer");
    }

    [Fact]
    public void InvertedBoundingBox()
    {
        _folder.ReplaceLine(Fixtures.CategoryBoxes, 3, "img/Blouse/img_1.jpg 100 6 5 120");
        _folder.ExpectError(Category, Fixtures.CategoryBoxes, 3, "empty or inverted bounding box");
    }

    [Fact]
    public void ImagePathEscapingTheRoot()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 3, "../secret/img_1.jpg train");
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 3, "must be relative to the dataset root");
    }

    [Fact]
    public void MissingRequiredPartition()
    {
        File.Delete(_folder.PathOf(Fixtures.CategoryPartition));
        _folder.ExpectError(Category, Fixtures.CategoryPartition, 0, "required file not found");
    }

    [Fact]
    public void MissingRoot()
    {
        Assert.Throws<DirectoryNotFoundException>(() => DeepFashionReader.Read(Path.Combine(_folder.Root, "nope"), Category));
    }
}
