using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

/// <summary>Scratch files under the temp dir: those a killed process left an hour ago are removed at the next start, newer ones are not.</summary>
public sealed class ScratchFilesTests
{
    [Fact]
    public async Task A_start_removes_the_scratch_files_a_killed_process_left_an_hour_ago()
    {
        var staleFolder = ScratchFiles.NewFolder("ingest");
        var staleFile = ScratchFiles.NewFile("snapshot", ".lhv1");
        var freshFolder = ScratchFiles.NewFolder("ingest");
        var freshFile = ScratchFiles.NewFile("object", ".parquet");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(staleFolder, "upload.csv"), "a\n1\n", TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(staleFile, "LHV1", TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(freshFile, "PAR1", TestContext.Current.CancellationToken);
            Directory.SetLastWriteTimeUtc(staleFolder, DateTime.UtcNow.AddHours(-2));
            File.SetLastWriteTimeUtc(staleFile, DateTime.UtcNow.AddHours(-2));

            await using var host = new LakehouseFactory();
            await host.CreateReadyClientAsync();

            Assert.False(Directory.Exists(staleFolder), "an ingest folder two hours old is left from a stopped process");
            Assert.False(File.Exists(staleFile), "a snapshot file two hours old is left from a stopped process");
            Assert.True(Directory.Exists(freshFolder), "a new folder may belong to work still running in another process");
            Assert.True(File.Exists(freshFile), "a new file may belong to work still running in another process");
        }
        finally
        {
            foreach (var folder in new[] { staleFolder, freshFolder }.Where(Directory.Exists)) Directory.Delete(folder, recursive: true);
            foreach (var file in new[] { staleFile, freshFile }) File.Delete(file);
        }
    }
}
