namespace FashionNet.Tests.TestSupport;

/// <summary>
/// Locates the read-only real datasets in <c>../shared/data</c> beside the repository (or in
/// <c>FASHIONNET_SHARED_DATA</c>). A user's clone has none, so tests that need them skip with a message that says so.
/// </summary>
internal static class SharedData
{
    public const string InShopSample = "deepfashion-inshop-sample";
    public const string LandmarksRobot = "fashion-landmarks-robot";

    /// <summary>The folder of one shared dataset, or a skip of the calling test that names where it was looked for.</summary>
    public static string Require(string dataset)
    {
        string? root = Root();
        string path = Path.Combine(root ?? "../shared/data", dataset);
        Skip.IfNot(Directory.Exists(path),
            $"Real dataset '{dataset}' not found at '{Path.GetFullPath(path)}': this test needs ../shared/data beside the repository " +
            "(or FASHIONNET_SHARED_DATA pointing at it); skipped.");
        return path;
    }

    private static string? Root()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("FASHIONNET_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FashionNet.Core.sln")))
                return Path.Combine(dir.FullName, "..", "shared", "data");
        }
        return null;
    }
}
