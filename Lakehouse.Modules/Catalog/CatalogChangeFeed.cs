using System.Text.Json;
using System.Threading.Channels;
using Lakehouse.Common;

namespace Lakehouse.Catalog;

/// <summary>
/// Every catalog change in the order the catalog made it, for GET /v1/catalog/changes: a listener
/// gets a snapshot of every manifest, then each change after it. Changes are numbered within an
/// epoch (one per catalog process start); a position "epoch:seq" tells a client which changes it has
/// seen, so a process that committed through the API can wait until its own feed has caught up.
/// </summary>
internal sealed class CatalogChangeFeed
{
    /// <summary>A listener that falls this far behind is cut off; it reconnects and starts from a new snapshot.</summary>
    const int MaxBacklog = 10_000;

    internal static readonly JsonSerializerOptions Wire = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    readonly Lock _lock = new();
    readonly List<Channel<FeedChange>> _listeners = [];
    long _seq;

    public string Epoch { get; } = Ulid.New();

    /// <summary>The position after the latest change: a client that has seen it has seen every change made so far.</summary>
    public string Position
    {
        get
        {
            lock (_lock) return $"{Epoch}:{_seq}";
        }
    }

    /// <summary>Numbers the change and hands it to every listener; called by the catalog for each change, in order per dataset.</summary>
    public void Publish(DatasetChange change)
    {
        lock (_lock)
        {
            _seq++;
            var item = new FeedChange(Epoch, _seq, change.Name, change.Manifest);
            foreach (var listener in _listeners.Where(l => !l.Writer.TryWrite(item)).ToList())
            {
                listener.Writer.TryComplete(new InvalidOperationException($"The listener fell {MaxBacklog} changes behind."));
                _listeners.Remove(listener);
            }
        }
    }

    /// <summary>A new listener: the snapshot of <paramref name="manifests"/> at this moment, and the changes after it.</summary>
    public (FeedSnapshot Snapshot, ChannelReader<FeedChange> Changes) Listen(Func<IReadOnlyList<DatasetManifest>> manifests)
    {
        var channel = Channel.CreateBounded<FeedChange>(new BoundedChannelOptions(MaxBacklog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_lock)
        {
            // Taken under the lock, so no change falls between the snapshot and the first event. A
            // change the snapshot already holds may follow it once more; its version says so.
            _listeners.Add(channel);
            return (new FeedSnapshot(Epoch, _seq, manifests()), channel.Reader);
        }
    }

    public void Stop(ChannelReader<FeedChange> changes)
    {
        lock (_lock) _listeners.RemoveAll(l => l.Reader == changes);
    }
}

/// <summary>The first event a listener gets: every manifest, as of change <see cref="Seq"/>.</summary>
internal sealed record FeedSnapshot(string Epoch, long Seq, IReadOnlyList<DatasetManifest> Datasets);

/// <summary>A change: the dataset's new manifest, or null once it was deleted.</summary>
internal sealed record FeedChange(string Epoch, long Seq, string Name, DatasetManifest? Manifest);
