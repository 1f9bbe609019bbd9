using FashionNet.Retrieval;

namespace FashionNet.Tests.Retrieval;

public sealed class GalleryShardTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 3000).Select(i => $"img/WOMEN/Dresses/id_{i / 4:D8}/{i % 4:D2}_front.jpg")];

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void TheShardsSplitAGalleryIntoDisjointPartsThatCoverItEvenly(int count)
    {
        var parts = Enumerable.Range(0, count).Select(i => Keys.Where(new GalleryShard(i, count).Contains).ToArray()).ToArray();

        Assert.Equal(Keys.Length, parts.Sum(p => p.Length));
        Assert.Equal(Keys.Order(), parts.SelectMany(p => p).Order());
        // Hash-based, so only roughly even: within 20% of the mean for 3,000 keys.
        Assert.All(parts, p => Assert.InRange(p.Length, 0.8 * Keys.Length / count, 1.2 * Keys.Length / count));
    }

    [Fact]
    public void TheSplitDependsOnTheKeyAloneNotOnOrderOrRun()
    {
        var shard = GalleryShard.Parse("1/3");
        var forward = Keys.Where(shard.Contains).ToHashSet();
        var backward = Keys.Reverse().Where(new GalleryShard(1, 3).Contains).ToHashSet();

        Assert.True(forward.SetEquals(backward));
        // Pinned: a change of hash would split galleries loaded by an older version differently.
        Assert.Equal(1561, Keys.Count(GalleryShard.Parse("0/2").Contains));
        Assert.True(GalleryShard.All.Contains("anything"));
        Assert.True(default(GalleryShard).Contains("anything"));
    }

    [Theory]
    [InlineData("2/2")]
    [InlineData("-1/2")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("0/0")]
    public void AShardThatIsNotIOfNIsAClearError(string text)
    {
        var error = Assert.Throws<FormatException>(() => GalleryShard.Parse(text));
        Assert.Contains($"Shard '{text}' is not 'i/n'", error.Message);
    }
}
