using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lakehouse.Tests.Console;

/// <summary>The console at / in a real browser, against the host as a real process: what a person does with it, through the page alone.</summary>
public sealed class ConsoleTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static Task<HostChildProcess> StartHostAsync(TempFolder root, Dictionary<string, string>? more = null)
    {
        var environment = new Dictionary<string, string> { ["LAKEHOUSE__STORAGE__ROOT"] = Path.Combine(root.Path, "data") };
        foreach (var (key, value) in more ?? []) environment[key] = value;
        return HostChildProcess.StartAsync(environment, root.Path);
    }

    [Fact]
    public async Task Upload_a_csv_see_its_rows_query_download_and_see_an_error()
    {
        using var root = new TempFolder();
        await using var host = await StartHostAsync(root);
        await using var browser = await BrowserPage.OpenAsync(host.Address);
        var page = browser.Page;
        await browser.StepsAsync(nameof(Upload_a_csv_see_its_rows_query_download_and_see_an_error), async () =>
        {
            await page.GotoAsync("/");
            await Expect(page.Locator("#status")).ToContainTextAsync("ok");

            // Upload through the file chooser (what a drop hands over too): rows appear in the preview.
            var csv = "name,age,city\nAda,36,London\nGrace,45,Arlington\nLinus,28,Helsinki\n";
            await page.FillAsync("#upload-dataset", "people");
            await page.SetInputFilesAsync("#upload-file", new FilePayload { Name = "people.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
            await Expect(page.Locator("#upload-result")).ToContainTextAsync("Stored 3 rows in people (version 1)");
            await Expect(page.Locator("#dataset-list tbody tr[data-name=people]")).ToContainTextAsync("3");
            await Expect(page.Locator("#detail-preview")).ToContainTextAsync("Grace");
            await Expect(page.Locator("#detail-schema")).ToContainTextAsync("BIGINT");
            await browser.ScreenshotAsync("console-datasets");

            // A file the server refuses: its problem detail is shown, and nothing changed.
            await page.SetInputFilesAsync("#upload-file", new FilePayload { Name = "bad.csv", MimeType = "text/csv", Buffer = "name,age\n\"Ada,36\n"u8.ToArray() });
            await Expect(page.Locator("#problem")).ToBeVisibleAsync();
            await Expect(page.Locator("#problem")).ToContainTextAsync("line");
            Assert.Equal(1, (await host.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/catalog/datasets/people", Cancel)).GetProperty("version").GetInt32());

            // SQL: Ctrl+Enter runs, the grid shows the rows, the info line their count and time.
            await page.ClickAsync("#tab-sql");
            await page.FillAsync("#sql-editor", "SELECT name, age FROM people ORDER BY age");
            await page.PressAsync("#sql-editor", "Control+Enter");
            await Expect(page.Locator("#sql-info")).ToContainTextAsync(new Regex(@"^3 rows · \d+ ms"));
            var firstRow = page.Locator("#sql-grid .row[aria-rowindex='2'] .cell");
            Assert.Equal(["Linus", "28"], await firstRow.AllInnerTextsAsync());
            await browser.ScreenshotAsync("console-sql");

            // Download as CSV: the file is the query's result.
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#sql-download"));
            var saved = Path.Combine(root.Path, "result.csv");
            await download.SaveAsAsync(saved);
            Assert.Equal("name,age\nLinus,28\nAda,36\nGrace,45\n", (await File.ReadAllTextAsync(saved, Cancel)).ReplaceLineEndings("\n"));

            // An error from DuckDB is shown with its message.
            await page.FillAsync("#sql-editor", "SELECT nope FROM people");
            await page.ClickAsync("#sql-run");
            await Expect(page.Locator("#problem")).ToContainTextAsync("nope");

            // The history keeps what ran.
            await Expect(page.Locator("#sql-history")).ToContainTextAsync("SELECT name, age FROM people ORDER BY age");

            // Delete from the keyboard, after a confirmation.
            await page.ClickAsync("#tab-datasets");
            await page.FocusAsync("#dataset-list tbody tr[data-name=people]");
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.Locator("#detail-name")).ToHaveTextAsync("people");
            await page.ClickAsync("#detail-delete");
            await Expect(page.Locator("#confirm-dialog")).ToContainTextAsync("Delete dataset \"people\"");
            await page.ClickAsync("#confirm-ok");
            await Expect(page.Locator("#dataset-list tbody tr")).ToHaveCountAsync(0);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await host.Client.GetAsync("/v1/catalog/datasets/people", Cancel)).StatusCode);

            // Health and the process's metrics.
            await page.ClickAsync("#tab-health");
            await Expect(page.Locator("#health-body")).ToContainTextAsync("\"status\": \"ok\"");
            await Expect(page.Locator("#metrics")).ToContainTextAsync("lakehouse_ingest_rows");
        });
        // The browser itself logs each refused request ("Failed to load resource … 400"): the two refusals above, nothing else.
        Assert.DoesNotContain(browser.Errors, e => !e.Contains("status of 400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_grid_stays_small_at_ten_thousand_rows_and_truncation_is_shown()
    {
        using var root = new TempFolder();
        await using var host = await StartHostAsync(root);
        await using var browser = await BrowserPage.OpenAsync(host.Address);
        var page = browser.Page;
        await browser.StepsAsync(nameof(The_grid_stays_small_at_ten_thousand_rows_and_truncation_is_shown), async () =>
        {
            await page.GotoAsync("/");
            await page.ClickAsync("#tab-sql");
            await page.FillAsync("#sql-editor", "SELECT range AS n, 'row ' || range AS label FROM range(12000)");
            await page.PressAsync("#sql-editor", "Control+Enter");
            await Expect(page.Locator("#sql-info")).ToContainTextAsync("10,000 rows");
            await Expect(page.Locator("#sql-info")).ToContainTextAsync("truncated");
            Assert.InRange(await page.Locator("#sql-grid .row").CountAsync(), 10, 100); // only the rows in view are drawn
            await page.Locator("#sql-grid").EvaluateAsync("grid => grid.scrollTop = grid.scrollHeight");
            await Expect(page.Locator("#sql-grid")).ToContainTextAsync("row 9999");
        });
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Create_an_index_search_more_like_an_item_and_delete_it()
    {
        using var root = new TempFolder();
        await using var host = await StartHostAsync(root);
        await using var browser = await BrowserPage.OpenAsync(host.Address);
        var page = browser.Page;
        await browser.StepsAsync(nameof(Create_an_index_search_more_like_an_item_and_delete_it), async () =>
        {
            await page.GotoAsync("/");
            await page.ClickAsync("#tab-vectors");
            await page.FillAsync("#index-create input[name=name]", "docs");
            await page.FillAsync("#index-create input[name=dim]", "2");
            await page.SelectOptionAsync("#index-create select[name=metric]", "l2");
            await page.ClickAsync("#index-create button[type=submit]");
            await Expect(page.Locator("#index-list tbody")).ToContainTextAsync("docs");

            var items = new[] { ("a", 0f, 0f), ("b", 1f, 0f), ("c", 5f, 5f) }.Select(i => new { id = i.Item1, vector = new[] { i.Item2, i.Item3 }, metadata = new { label = "item " + i.Item1 } });
            (await host.Client.PostAsJsonAsync("/v1/vectors/indexes/docs/items", new { items }, Cancel)).EnsureSuccessStatusCode();
            await page.ClickAsync("#tab-datasets");
            await page.ClickAsync("#tab-vectors"); // the list is read again on the way back
            await Expect(page.Locator("#index-list tbody")).ToContainTextAsync("3");

            await page.SelectOptionAsync("#search-index", "docs");
            await page.FillAsync("#search-id", "a");
            await page.ClickAsync("#search button[type=submit]");
            await Expect(page.Locator("#search-results tbody tr")).ToHaveCountAsync(3);
            Assert.Equal(["1", "a", "0.00000", "{\"label\":\"item a\"}"], await page.Locator("#search-results tbody tr").First.Locator("td").AllInnerTextsAsync());
            Assert.Equal("b", await page.Locator("#search-results tbody tr").Nth(1).Locator("td").Nth(1).InnerTextAsync());

            await page.CheckAsync("input[name=by][value=vector]");
            await page.FillAsync("#search-vector", "[5, 4]");
            await page.ClickAsync("#search button[type=submit]");
            await Expect(page.Locator("#search-results tbody tr").First).ToContainTextAsync("c");

            await page.ClickAsync("button[aria-label='Delete index docs']");
            await page.ClickAsync("#confirm-ok");
            await Expect(page.Locator("#index-list tbody tr")).ToHaveCountAsync(0);
        });
        Assert.Empty(browser.Errors);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await host.Client.GetAsync("/v1/vectors/indexes/docs", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Browse_the_items_a_filter_passes_a_page_at_a_time()
    {
        using var root = new TempFolder();
        await using var host = await StartHostAsync(root);
        (await host.Client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "docs", dim = 2, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        var items = Enumerable.Range(0, 150).Select(i => new { id = $"d{i:000}", vector = new[] { i, 1f }, metadata = new { group = i % 3 } });
        (await host.Client.PostAsJsonAsync("/v1/vectors/indexes/docs/items", new { items }, Cancel)).EnsureSuccessStatusCode();
        await using var browser = await BrowserPage.OpenAsync(host.Address);
        var page = browser.Page;
        await browser.StepsAsync(nameof(Browse_the_items_a_filter_passes_a_page_at_a_time), async () =>
        {
            await page.GotoAsync("/");
            await page.ClickAsync("#tab-vectors");
            await page.SelectOptionAsync("#browse-index", "docs");
            await page.FillAsync("#browse-filter", """{"must":[{"key":"group","match":{"value":0}}]}""");
            await page.ClickAsync("#browse button[type=submit]");
            await Expect(page.Locator("#browse-items tbody tr")).ToHaveCountAsync(50);
            await Expect(page.Locator("#browse-count")).ToContainTextAsync("50 items pass");
            Assert.Equal(["d000", "{\"group\":0}"], await page.Locator("#browse-items tbody tr").First.Locator("td").AllInnerTextsAsync());
            await Expect(page.Locator("#browse-more")).ToBeHiddenAsync();

            // Every item: a page of 100, then the rest after "More".
            await page.FillAsync("#browse-filter", "");
            await page.ClickAsync("#browse button[type=submit]");
            await Expect(page.Locator("#browse-items tbody tr")).ToHaveCountAsync(100);
            await page.ClickAsync("#browse-more");
            await Expect(page.Locator("#browse-items tbody tr")).ToHaveCountAsync(150);
            await Expect(page.Locator("#browse-items tbody tr").Last).ToContainTextAsync("d149");
            await Expect(page.Locator("#browse-more")).ToBeHiddenAsync();

            // A malformed filter: the server's problem detail, naming the part.
            await page.FillAsync("#browse-filter", """{"must":[{"key":"group"}]}""");
            await page.ClickAsync("#browse button[type=submit]");
            await Expect(page.Locator("#problem")).ToContainTextAsync("filter.must[0]");
        });
        // The browser itself logs the refused request ("Failed to load resource … 400"), and nothing else.
        Assert.Contains("status of 400", Assert.Single(browser.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_keys_on_it_asks_for_one_and_keeps_it_for_the_tab()
    {
        using var root = new TempFolder();
        var config = Path.Combine(root.Path, "keys.toml");
        await File.WriteAllTextAsync(config, "[auth]\nkeys = [{ key = \"console-secret\", role = \"read_write\" }]\n", Cancel);
        await using var host = await StartHostAsync(root, new() { ["config"] = config });
        await using var browser = await BrowserPage.OpenAsync(host.Address);
        var page = browser.Page;
        await browser.StepsAsync(nameof(With_keys_on_it_asks_for_one_and_keeps_it_for_the_tab), async () =>
        {
            await page.GotoAsync("/");
            await Expect(page.Locator("#key-dialog")).ToBeVisibleAsync();
            await page.FillAsync("#key-input", "console-secret");
            await page.PressAsync("#key-input", "Enter");
            await Expect(page.Locator("#key-dialog")).ToBeHiddenAsync();
            await page.FillAsync("#upload-dataset", "guarded");
            await page.SetInputFilesAsync("#upload-file", new FilePayload { Name = "g.csv", MimeType = "text/csv", Buffer = "x\n1\n"u8.ToArray() });
            await Expect(page.Locator("#upload-result")).ToContainTextAsync("Stored 1 rows in guarded");
            Assert.Equal("console-secret", await page.EvaluateAsync<string>("sessionStorage.getItem('lakehouse-key')"));
        });
        // The 401 that made it ask is the one error the page may log.
        Assert.All(browser.Errors, e => Assert.Contains("401", e, StringComparison.Ordinal));
    }
}
