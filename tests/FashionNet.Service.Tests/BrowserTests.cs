using FashionNet.Retrieval;
using Microsoft.Playwright;

namespace FashionNet.Service.Tests;

/// <summary>
/// The page in a real browser: Debian's chromium, headless, driven by Playwright with the system executable (Playwright
/// cannot download its own browser here). Opens the page, uploads a gallery photo, and checks that its item is among the
/// first matches and that the landmark overlay is drawn; keeps a screenshot. Skipped, saying why, without
/// /usr/bin/chromium. With FASHIONNET_SERVICE_INDEX set it serves that index instead of the test's tiny one (this is
/// how docs/service-page.png was made from the demo's index) and FASHIONNET_SERVICE_SCREENSHOT says where the
/// screenshot goes (relative to the repository; default artifacts/service-page.png).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class BrowserTests(ServiceFixture fixture)
{
    private const string Chromium = "/usr/bin/chromium";

    // Headless as root, with no network beyond loopback (../shared/REFERENCE.md, section 6).
    private static readonly string[] ChromiumArguments =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    [SkippableFact]
    public async Task ThePageFindsAnUploadedGalleryPhotosItemAndDrawsItsLandmarks()
    {
        Skip.IfNot(File.Exists(Chromium), $"Browser test skipped: Debian's chromium is not installed at {Chromium} (.ci/run installs it with apt-get install chromium).");
        string indexPath = Environment.GetEnvironmentVariable("FASHIONNET_SERVICE_INDEX") is { Length: > 0 } demo ? demo : fixture.IndexPath;
        string screenshot = Environment.GetEnvironmentVariable("FASHIONNET_SERVICE_SCREENSHOT") is { Length: > 0 } target
            ? Path.Combine(RepositoryRoot(), target)
            : Path.Combine(RepositoryRoot(), "artifacts", "service-page.png");
        var (photo, item) = AGalleryPhoto(indexPath);

        await using var service = await RunningService.StartAsync(new SearchServiceOptions { IndexPath = indexPath, Urls = ["http://127.0.0.1:0"] });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            ChromiumSandbox = false,
            Args = ChromiumArguments,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        await page.GotoAsync(service.BaseAddress.ToString());
        await page.Locator("#service-status", new PageLocatorOptions { HasText = "gallery photos" }).WaitForAsync();

        await page.Locator("#photo").SetInputFilesAsync(photo);
        await page.Locator("#search-status", new PageLocatorOptions { HasText = "matches in" }).WaitForAsync();

        var firstItems = await page.Locator("#matches .match").EvaluateAllAsync<string[]>("matches => matches.slice(0, 3).map(m => m.dataset.item)");
        Assert.Contains(item, firstItems);
        Assert.Equal(8, await page.Locator("#overlay circle.landmark").CountAsync());
        Assert.Equal(8, await page.Locator("#overlay text").CountAsync());
        // The match photos are served and shown.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#matches img')].every(i => i.complete && i.naturalWidth > 0)");

        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
    }

    /// <summary>The index's middle entry: its photo and item.</summary>
    private static (string Photo, string Item) AGalleryPhoto(string indexPath)
    {
        using var index = RetrievalIndex.Open(indexPath);
        int entry = index.Count / 2;
        return (index.GetImagePath(entry), index.GetItemId(entry));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FashionNet.Core.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
