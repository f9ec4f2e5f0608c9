using System.Threading.Channels;
using Lakehouse.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

/// <summary>
/// Background compaction: once the catalog has loaded, and after every change, a dataset with at least
/// catalog.compact_min_files files that could be merged is queued; one worker compacts the queue a
/// dataset at a time. Appends keep the file list short this way, so neither queries nor the manifest
/// (rewritten whole on every change) grow with a dataset's history. compact_min_files = 0 turns it off.
/// </summary>
internal sealed class CompactionScheduler(ObjectStoreCatalog catalog, DatasetCompactor compactor, LakehouseConfig config, ILogger<CompactionScheduler> logger) : BackgroundService
{
    readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    readonly HashSet<string> _queued = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.Catalog.CompactMinFiles == 0) return;
        await LoadedAsync(stoppingToken);
        catalog.OnChanged(change =>
        {
            if (change.Manifest is { } manifest) Consider(manifest);
            return Task.CompletedTask;
        });
        foreach (var manifest in catalog.List()) Consider(manifest);
        await foreach (var name in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            lock (_queued) _queued.Remove(name);
            try
            {
                await compactor.CompactAsync(name, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A replace or delete that won, or storage away: the next change queues it again.
                logger.LogWarning("Background compaction of {Dataset} did not finish: {Reason}", name, e.Message);
            }
        }
    }

    /// <summary>
    /// Waits until the catalog has loaded. A load that fails (storage unreachable at start) is retried
    /// by start-up; a background service that threw here would stop the whole process instead.
    /// </summary>
    async Task LoadedAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await catalog.EnsureLoadedAsync().WaitAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug("Background compaction waits for the catalog to load: {Reason}", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    void Consider(DatasetManifest manifest)
    {
        if (manifest.Files.Count < config.Catalog.CompactMinFiles || compactor.Mergeable(manifest.Files) + 1 < config.Catalog.CompactMinFiles) return;
        lock (_queued)
        {
            if (_queued.Add(manifest.Name)) _queue.Writer.TryWrite(manifest.Name);
        }
    }
}
