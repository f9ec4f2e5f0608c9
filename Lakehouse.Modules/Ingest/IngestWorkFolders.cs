using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Ingest;

/// <summary>
/// Each ingest's local work folder under the temp dir (the spooled CSV, the Parquet before it is
/// stored). A folder is removed once its ingest has answered, off the answer's path (an unlink and two
/// rmdirs were ~1 ms of a 10 KB ingest's ~15); one that a killed process left behind is removed at the
/// next start, once an hour old, since another process on this machine may be ingesting into a newer one.
/// </summary>
internal sealed class IngestWorkFolders(ILogger<IngestWorkFolders> logger) : IModuleInitializer
{
    const string Prefix = "lakehouse-ingest-";
    static readonly TimeSpan Stale = TimeSpan.FromHours(1);

    public string Module => ModuleNames.Ingest;

    public string Create() => Directory.CreateTempSubdirectory(Prefix).FullName;

    public void DeleteLater(string folder) => _ = Task.Run(() => Delete(folder), CancellationToken.None);

    /// <summary>Removes the work folders of ingests that a killed process never finished.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        var stale = new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories(Prefix + "*").Where(d => DateTime.UtcNow - d.LastWriteTimeUtc > Stale).ToList();
        foreach (var folder in stale) Delete(folder.FullName);
        if (stale.Count > 0) logger.LogInformation("Removed {Count} ingest work folders that stopped processes left behind", stale.Count);
        return Task.CompletedTask;
    }

    void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "The ingest work folder {Folder} could not be removed", folder);
        }
    }
}
