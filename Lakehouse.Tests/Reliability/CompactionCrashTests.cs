using System.Net;
using System.Text;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Reliability;

/// <summary>
/// The real host SIGKILLed at a random moment of a compaction: after the restart the dataset is at the
/// old version or the new one (its file list one or the other, never a mix), every file it names
/// exists, and its rows are the same rows in the same order.
/// </summary>
public abstract class CompactionCrashTests
{
    const int Rounds = 3;
    const int AppendsPerRound = 25;

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected abstract Task<Dictionary<string, string>> EnvironmentAsync(string root);

    [Fact]
    public async Task A_kill_during_compaction_leaves_the_old_version_or_the_new_one()
    {
        using var root = new TempFolder();
        var environment = await EnvironmentAsync(Path.Combine(root.Path, "data"));
        environment["LAKEHOUSE__CATALOG__COMPACT_MIN_FILES"] = "0"; // only the compactions this test asks for
        var random = new Random(15);
        var next = 0;
        for (var round = 1; round <= Rounds; round++)
        {
            string rowsBefore;
            int filesBefore;
            await using (var host = await HostChildProcess.StartAsync(environment, root.Path))
            {
                for (var i = 0; i < AppendsPerRound; i++)
                {
                    var csv = new StringBuilder("id,label\n");
                    for (var r = 0; r < 3; r++, next++) csv.Append(next).Append(",row ").Append(next).Append('\n');
                    await host.Client.IngestOkAsync("t", csv.ToString(), "?mode=append");
                }
                rowsBefore = await RowsAsync(host.Client);
                filesBefore = (await host.Client.JsonAsync("/v1/catalog/datasets/t")).GetProperty("files").GetArrayLength();
                _ = host.Client.PostAsync("/v1/catalog/datasets/t/compact", null, Cancel);
                await Task.Delay(random.Next(0, 600), Cancel); // the moment of the crash: random on purpose, nothing waits on it
                await host.KillAsync();
            }
            await using (var restarted = await HostChildProcess.StartAsync(environment, root.Path))
            {
                var manifest = await restarted.Client.JsonAsync("/v1/catalog/datasets/t");
                var files = manifest.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("key").GetString()!).ToList();
                Assert.True(files.Count == filesBefore || files.Count == 1, $"round {round}: {files.Count} files, neither the {filesBefore} before nor the 1 after");
                foreach (var key in files)
                {
                    using var head = new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/" + key);
                    Assert.Equal(HttpStatusCode.OK, (await restarted.Client.SendAsync(head, Cancel)).StatusCode);
                }
                Assert.Equal(rowsBefore, await RowsAsync(restarted.Client));
            }
        }
    }

    static async Task<string> RowsAsync(HttpClient client) =>
        (await client.SqlOkAsync("SELECT id, label FROM t")).GetProperty("rows").GetRawText();
}

public sealed class FileSystemCompactionCrashTests : CompactionCrashTests
{
    protected override Task<Dictionary<string, string>> EnvironmentAsync(string root) =>
        Task.FromResult(new Dictionary<string, string> { ["LAKEHOUSE__STORAGE__ROOT"] = root });
}

public sealed class S3CompactionCrashTests(S3TestServer s3) : CompactionCrashTests
{
    protected override async Task<Dictionary<string, string>> EnvironmentAsync(string root) =>
        HostChildProcess.EnvironmentOf(await s3.SettingsForNewBucketAsync());
}
