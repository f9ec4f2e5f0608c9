using Microsoft.Playwright;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (installed by .ci/run) driven by Playwright, on one page that records every
/// console error and uncaught exception. Screenshots go to TestResults/browser/ beside the test
/// binaries, kept whether the test passes or fails (<see cref="ScreenshotAsync"/>, and one on failure).
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    readonly IPlaywright _playwright;
    readonly IBrowser _browser;

    BrowserPage(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") Errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) => Errors.Add($"page: {error}");
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>What the page reported as errors; a console that works reports none.</summary>
    public List<string> Errors { get; } = [];

    public static string ArtifactFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");

    public static async Task<BrowserPage> OpenAsync(Uri address)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("No Chromium at /usr/bin/chromium: install Debian's chromium package (.ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync(new() { BaseURL = address.ToString(), AcceptDownloads = true, ViewportSize = new() { Width = 1366, Height = 800 } });
        context.SetDefaultTimeout(30_000);
        return new BrowserPage(playwright, browser, context, await context.NewPageAsync());
    }

    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ArtifactFolder);
        var path = Path.Combine(ArtifactFolder, name + ".png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Runs the steps; on failure keeps a screenshot named after the test and says where it is.</summary>
    public async Task StepsAsync(string test, Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception e)
        {
            var shot = await ScreenshotAsync(test + "-failed");
            throw new Xunit.Sdk.XunitException($"{e.Message}\nScreenshot: {shot}\nPage errors: {string.Join("; ", Errors)}\n{e}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
