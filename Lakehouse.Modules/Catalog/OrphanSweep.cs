using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

/// <summary>
/// Removes what a crash left between storing a data file and committing the manifest that would have
/// named it: files under datasets/ that no manifest names and that are older than the grace period.
/// The grace protects an ingest still in flight (in this process during start-up, or in another
/// process sharing the storage) whose manifest is about to name its new file.
/// </summary>
internal static class OrphanSweep
{
    public static async Task<int> RunAsync(IObjectStore store, IReadOnlySet<string> named, TimeSpan grace, ILogger logger, CancellationToken cancellationToken)
    {
        var cutoff = DateTimeOffset.UtcNow - grace;
        var swept = 0;
        string? cursor = null;
        do
        {
            var page = await store.ListAsync(DatasetKeys.FilesRoot, 1000, cursor, cancellationToken);
            foreach (var orphan in page.Objects.Where(o => !named.Contains(o.Key) && o.LastModified < cutoff))
            {
                await store.DeleteAsync(orphan.Key, cancellationToken);
                logger.LogInformation("Swept {Key} ({Size} bytes): no manifest names it", orphan.Key, orphan.Size);
                swept++;
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return swept;
    }
}
