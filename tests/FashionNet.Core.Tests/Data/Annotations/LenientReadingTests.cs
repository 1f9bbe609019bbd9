using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>Lenient reading skips bad rows and reports every skip; nothing is dropped silently.</summary>
public sealed class LenientReadingTests : IDisposable
{
    private const DeepFashionFormat Category = DeepFashionFormat.CategoryAttribute;
    private readonly DatasetFolder _folder = new();

    public LenientReadingTests() => Fixtures.WriteCategoryAttribute(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SkipsBadRowsAndReportsEachWithFileAndLine()
    {
        _folder.ReplaceLine(Fixtures.CategoryPartition, 4, "img/Jeans/img_2.jpg gallery");
        _folder.ReplaceLine(Fixtures.CategoryLandmarks, 3, "img/Blouse/img_1.jpg 2 1 0 1 1 0 2 2");
        _folder.ReplaceLine(Fixtures.ImageAttributes, 5, "img/Dress/img_3.jpg 0 1 0 x");

        var dataset = _folder.Read(Category, lenient: true);

        Assert.Equal(["img/Blouse/img_1.jpg", "img/Dress/img_3.jpg"], dataset.Samples.Select(s => s.ImagePath));
        Assert.Null(dataset.Samples[0].Landmarks);
        Assert.NotNull(dataset.Samples[0].Attributes);
        Assert.Null(dataset.Samples[1].Attributes);
        Assert.NotNull(dataset.Samples[1].Landmarks);

        var issues = dataset.Report.Issues.Select(i => (Path.GetFileName(i.File), i.Line)).ToList();
        Assert.Contains(("list_eval_partition.txt", 4), issues);
        Assert.Contains(("list_landmarks.txt", 3), issues);
        Assert.Contains(("list_attr_img.txt", 5), issues);
        // The partition row skipped, the other files' rows of that image cannot be placed: each is reported too.
        foreach (string file in new[] { "list_category_img.txt", "list_attr_img.txt", "list_bbox.txt", "list_landmarks.txt" })
            Assert.Contains((file, 4), issues);
        Assert.All(dataset.Report.Issues, i => Assert.EndsWith("row skipped", i.Problem));
        Assert.Equal(7, dataset.Report.Issues.Count);
    }

    [Fact]
    public void ReportsACountMismatchAndKeepsTheRows()
    {
        _folder.ReplaceLine(Fixtures.CategoryBoxes, 1, "5");

        var dataset = _folder.Read(Category, lenient: true);

        Assert.All(dataset.Samples, s => Assert.NotNull(s.BoundingBox));
        var issue = Assert.Single(dataset.Report.Issues);
        Assert.Equal(1, issue.Line);
        Assert.Contains("declares 5 entries but the file has 3 rows", issue.Problem);
    }

    [Fact]
    public void DropsSamplesWhoseImageIsMissingAndSaysSo()
    {
        File.Delete(_folder.PathOf("img/Dress/img_3.jpg"));

        var dataset = _folder.Read(Category, lenient: true);

        Assert.Equal(2, dataset.Samples.Count);
        var issue = Assert.Single(dataset.Report.Issues);
        Assert.Equal(("list_eval_partition.txt", 5), (Path.GetFileName(issue.File), issue.Line));
        Assert.Contains("image file 'img/Dress/img_3.jpg' not found", issue.Problem);
        Assert.EndsWith("sample dropped", issue.Problem);
    }

    [Fact]
    public void CleanDataGivesAnEmptyReport()
    {
        Assert.True(_folder.Read(Category, lenient: true).Report.IsClean);
    }
}
