using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Ingest;

/// <summary>
/// Each ingest's local work folder (the spooled CSV, the Parquet before it is stored), a
/// <see cref="ScratchFiles"/> folder. It is removed once the ingest has answered, off the answer's
/// path: an unlink and two rmdirs were ~1 ms of a 10 KB ingest's ~15.
/// </summary>
internal sealed class IngestWorkFolders(ILogger<IngestWorkFolders> logger)
{
    public static string Create() => ScratchFiles.NewFolder("ingest");

    public void DeleteLater(string folder) => _ = Task.Run(() => Delete(folder), CancellationToken.None);

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
