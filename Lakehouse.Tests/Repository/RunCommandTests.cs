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
}
