using System.Net;
using System.Text;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Repository;

/// <summary>The README's run command as a user types it: the config and the data are the ones where the user stands.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Dotnet_run_reads_the_config_and_keeps_the_data_in_the_folder_it_is_run_from()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "config"));
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "config", "lakehouse.toml"), "[storage]\nroot = \"./lake\"\n", TestContext.Current.CancellationToken);
        await using (var host = await HostChildProcess.StartAsync(new Dictionary<string, string>(), folder.Path,
            dotnetArguments: ["run", "--no-build", "--project", Path.Combine(RepoPaths.Root, "Lakehouse.Host")]))
        {
            var created = await host.Client.PostAsync("/v1/ingest/here", new StringContent("a\n1\n", Encoding.UTF8, "text/csv"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(folder.Path, "lake", "datasets", "here"), "*.parquet"));
        Assert.False(Directory.Exists(Path.Combine(RepoPaths.Root, "Lakehouse.Host", "lake")));
    }

    [Fact]
    public async Task The_host_sets_no_file_watch_on_the_folder_it_is_run_from_which_holds_the_data()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inotify watches are read from /proc");
        using var folder = new TempFolder();
        await using var host = await HostChildProcess.StartAsync(new Dictionary<string, string>(), folder.Path);
        foreach (var dataset in new[] { "a", "b", "c" })
        {
            var created = await host.Client.PostAsync($"/v1/ingest/{dataset}", new StringContent("a\n1\n", Encoding.UTF8, "text/csv"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.True(Directory.GetDirectories(Path.Combine(folder.Path, "data"), "*", SearchOption.AllDirectories).Length > 3); // folders a watcher would watch: one per dataset at least
        // A watch is a line "inotify wd:…" in the fdinfo of an inotify descriptor. ASP.NET's appsettings.json
        // watcher would hold one per folder under the content root: every dataset's folder, and its metadata.
        var watches = Directory.GetFiles($"/proc/{host.ProcessId}/fdinfo")
            .Select(info => { try { return File.ReadAllLines(info); } catch (IOException) { return []; } })
            .Sum(lines => lines.Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal)));
        Assert.Equal(0, watches);
    }
}
