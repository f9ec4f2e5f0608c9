using Microsoft.Extensions.Logging;

namespace Lakehouse.Common;

/// <summary>
/// The scratch files and folders a process makes under the temp dir (an ingest's spooled CSV and
/// Parquet, a compaction's merged file, an S3 object copied for DuckDB, a vector snapshot before its
/// upload, an S3 upload of unknown length), all named lakehouse-scratch-{purpose}-{id}. Each is removed
/// when its work ends; a process killed mid-work leaves its own behind (the crash harness had left
/// thousands, 700 MB of them snapshots), so every start removes those an hour old: a newer one may
/// belong to another process on this machine that is still at work.
/// </summary>
public static class ScratchFiles
{
    const string Prefix = "lakehouse-scratch-";
    static readonly TimeSpan Abandoned = TimeSpan.FromHours(1);

    /// <summary>A new file path (nothing is created) for <paramref name="purpose"/>, with <paramref name="extension"/> (".parquet") if given.</summary>
    public static string NewFile(string purpose, string extension = "") =>
        Path.Combine(Path.GetTempPath(), $"{Prefix}{purpose}-{Guid.NewGuid():N}{extension}");

    /// <summary>A new, empty folder for <paramref name="purpose"/>.</summary>
    public static string NewFolder(string purpose) => Directory.CreateTempSubdirectory($"{Prefix}{purpose}-").FullName;

    /// <summary>
    /// Removes a scratch folder after the answer rather than before it (an ingest's unlink and two
    /// rmdirs were ~1 ms of a 10 KB ingest's ~15); a failure is logged, and the next start's sweep retries.
    /// </summary>
    public static void DeleteLater(string folder, ILogger logger) => _ = Task.Run(() => TryDelete(folder, logger), CancellationToken.None);

    /// <summary>Removes a scratch folder now; false (logged when a logger is given, never thrown) when it cannot be.</summary>
    public static bool TryDelete(string folder, ILogger? logger = null)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger?.LogWarning(e, "The scratch folder {Folder} could not be removed", folder);
            return false;
        }
    }

    /// <summary>Removes the scratch files and folders older than an hour; how many were removed.</summary>
    public static int RemoveAbandoned()
    {
        var removed = 0;
        foreach (var entry in new DirectoryInfo(Path.GetTempPath()).EnumerateFileSystemInfos(Prefix + "*"))
        {
            if (DateTime.UtcNow - entry.LastWriteTimeUtc <= Abandoned) continue;
            try
            {
                if (entry is DirectoryInfo folder) folder.Delete(recursive: true);
                else entry.Delete();
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process's, or already gone: not ours to insist on.
            }
        }
        return removed;
    }
}
