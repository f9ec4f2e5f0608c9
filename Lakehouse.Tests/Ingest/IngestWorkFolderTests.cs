using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Ingest;

/// <summary>Ingest work folders under the temp dir: one a killed process left behind is removed at the next start, a newer one is not.</summary>
public sealed class IngestWorkFolderTests
{
    [Fact]
    public async Task A_start_removes_the_work_folders_a_killed_ingest_left_an_hour_ago()
    {
        var stale = Directory.CreateTempSubdirectory("lakehouse-ingest-").FullName;
        var fresh = Directory.CreateTempSubdirectory("lakehouse-ingest-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(stale, "1"));
            await File.WriteAllTextAsync(Path.Combine(stale, "1", "upload.csv"), "a\n1\n", TestContext.Current.CancellationToken);
            Directory.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

            await using var host = new LakehouseFactory();
            await host.CreateReadyClientAsync();

            Assert.False(Directory.Exists(stale), "a work folder two hours old is left from a stopped process");
            Assert.True(Directory.Exists(fresh), "a new work folder may belong to an ingest running in another process");
        }
        finally
        {
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
            Directory.Delete(fresh, recursive: true);
        }
    }
}
