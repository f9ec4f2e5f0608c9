using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

/// <summary>
/// The catalog module in another process, over its REST contract: what a process that does not host
/// the catalog registers as its ICatalog. Reads are answered from a mirror that the change feed
/// (GET /v1/catalog/changes) keeps current; the feed is re-opened every [remote] resync, and each
/// snapshot it starts with is reconciled with the mirror, so a missed change or a restart of either
/// side heals itself. A change is a compare-and-swap on the version the change was built from
/// (POST …/commits): a lost race builds it again on the newer version, so concurrent appends from
/// several processes all land. A call that changed the catalog returns once this process's
/// subscribers have seen the change, as in-process.
/// </summary>
internal sealed class HttpCatalog(RemoteModule remote, LakehouseConfig config, ILogger<HttpCatalog> logger) : ICatalog
{
    /// <summary>How long a call that changed the catalog waits for the feed to bring the change here.</summary>
    static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(10);

    /// <summary>The remote writes a comment every 15 s; this long without a line means the connection is dead.</summary>
    static readonly TimeSpan FeedSilenceLimit = TimeSpan.FromSeconds(45);

    const int MaxRaces = 100;

    readonly ConcurrentDictionary<string, DatasetManifest> _mirror = new(StringComparer.Ordinal);
    readonly List<Func<DatasetChange, Task>> _subscribers = [];
    readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Lock _positionLock = new();
    readonly List<(string Epoch, long Seq, TaskCompletionSource Reached)> _waiters = [];
    readonly TimeSpan _resync = Duration.Parse(config.Remote.Resync);
    (string Epoch, long Seq) _position = ("", -1);
    CancellationTokenSource? _connection;

    public IReadOnlyList<DatasetManifest> List()
    {
        EnsureMirrored();
        return [.. _mirror.Values.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    public DatasetManifest? Get(string name)
    {
        EnsureMirrored();
        return _mirror.GetValueOrDefault(name);
    }

    public void OnChanged(Func<DatasetChange, Task> handler)
    {
        lock (_subscribers) _subscribers.Add(handler);
    }

    /// <summary>Completes once the first snapshot is mirrored: start-up waits for it, so /health says ok only with the catalog here.</summary>
    public Task MirroredAsync(CancellationToken cancellationToken) => _firstSnapshot.Task.WaitAsync(cancellationToken);

    void EnsureMirrored()
    {
        if (!_firstSnapshot.Task.Wait(TimeSpan.FromSeconds(5)))
        {
            throw ProblemException.Unavailable($"The catalog at {remote.BaseAddress} has not been reached yet; retry shortly.");
        }
    }

    public async Task<DatasetManifest> UpdateAsync(string name, long? expectedVersion, Func<DatasetManifest?, DatasetContent> change, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        for (var race = 1; ; race++)
        {
            var current = await FetchAsync(name, cancellationToken);
            var version = current?.Version ?? 0;
            if (expectedVersion is { } expected && expected != version) throw CatalogErrors.VersionConflict(name, version, expected);
            var content = change(current);
            using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"v1/catalog/datasets/{Uri.EscapeDataString(name)}/commits")
            {
                Content = JsonContent.Create(new CommitRequest(version, content.Schema, content.Files), options: CatalogChangeFeed.Wire),
            }, idempotent: false, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var manifest = await response.Content.ReadFromJsonAsync<DatasetManifest>(CatalogChangeFeed.Wire, cancellationToken)
                    ?? throw new InvalidDataException("The catalog answered a commit with no manifest.");
                await CatchUpAsync(response);
                return manifest;
            }
            var failure = await remote.FailureOfAsync(response, cancellationToken);
            // Another process committed first: nothing of ours landed; build the change again on its version.
            if (failure is ProblemException problem && problem.IsVersionConflict() && expectedVersion is null && race < MaxRaces) continue;
            throw failure;
        }
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"v1/catalog/datasets/{Uri.EscapeDataString(name)}"), idempotent: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (!response.IsSuccessStatusCode) throw await remote.FailureOfAsync(response, cancellationToken);
        await CatchUpAsync(response);
        return true;
    }

    async Task<DatasetManifest?> FetchAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v1/catalog/datasets/{Uri.EscapeDataString(name)}"), idempotent: true, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw await remote.FailureOfAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<DatasetManifest>(CatalogChangeFeed.Wire, cancellationToken);
    }

    /// <summary>Waits until the feed has brought this process the change the response made, so that its subscribers (the query views) have it.</summary>
    async Task CatchUpAsync(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues(CatalogEndpoints.PositionHeader, out var values) || values.FirstOrDefault()?.Split(':') is not [var epoch, var seqText]
            || !long.TryParse(seqText, System.Globalization.CultureInfo.InvariantCulture, out var seq))
        {
            return;
        }
        Task reached;
        lock (_positionLock)
        {
            if (_position.Epoch == epoch && _position.Seq >= seq) return;
            // The feed is on another epoch: still attached to a catalog process that has since been
            // replaced (one that hangs while it stops, say). Start again on the live one.
            if (_position.Epoch != epoch) _connection?.Cancel();
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((epoch, seq, waiter));
            reached = waiter.Task;
        }
        try
        {
            await reached.WaitAsync(CatchUpLimit);
        }
        catch (TimeoutException)
        {
            // The change is stored; only this process's view of it lags. The feed's next snapshot heals it.
            logger.LogWarning("The catalog feed did not bring change {Epoch}:{Seq} within {Limit} s; queries here may see it late", epoch, seq, CatchUpLimit.TotalSeconds);
        }
    }

    /// <summary>Follows the change feed until the process stops: re-opened after every failure and every [remote] resync.</summary>
    public async Task FollowAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowOnceAsync(stoppingToken);
                failing = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing) logger.LogWarning("The catalog change feed at {Address} failed ({Reason}); reconnecting", remote.BaseAddress, e.Message);
                failing = true;
                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
        }
    }

    async Task FollowOnceAsync(CancellationToken stoppingToken)
    {
        using var resync = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        resync.CancelAfter(_resync);
        lock (_positionLock) _connection = resync;
        try
        {
            await ReadFeedAsync(resync, stoppingToken);
        }
        finally
        {
            lock (_positionLock) _connection = null;
        }
    }

    async Task ReadFeedAsync(CancellationTokenSource resync, CancellationToken stoppingToken)
    {
        using var response = await remote.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, "v1/catalog/changes"), idempotent: true, resync.Token);
        if (!response.IsSuccessStatusCode) throw await remote.FailureOfAsync(response, resync.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(resync.Token));
        string? kind = null;
        while (true)
        {
            using var silence = CancellationTokenSource.CreateLinkedTokenSource(resync.Token);
            silence.CancelAfter(FeedSilenceLimit);
            string? line;
            try
            {
                line = await reader.ReadLineAsync(silence.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                if (resync.IsCancellationRequested) return; // time to start again from a snapshot (resync, or a newer epoch seen)
                throw new TimeoutException($"the feed was silent for {FeedSilenceLimit.TotalSeconds} s");
            }
            if (line is null) throw new IOException("the catalog closed the feed");
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "snapshot")
            {
                await ApplyAsync(JsonSerializer.Deserialize<FeedSnapshot>(line["data: ".Length..], CatalogChangeFeed.Wire)!);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "change")
            {
                await ApplyAsync(JsonSerializer.Deserialize<FeedChange>(line["data: ".Length..], CatalogChangeFeed.Wire)!);
            }
        }
    }

    /// <summary>Reconciles the mirror with a snapshot: every dataset that differs, appeared or went is a change for the subscribers.</summary>
    async Task ApplyAsync(FeedSnapshot snapshot)
    {
        var incoming = snapshot.Datasets.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var gone in _mirror.Keys.Where(name => !incoming.ContainsKey(name)).ToList()) await ChangeAsync(gone, null);
        foreach (var manifest in incoming.Values) await ChangeAsync(manifest.Name, manifest);
        Reached(snapshot.Epoch, snapshot.Seq, snapshot: true);
        _firstSnapshot.TrySetResult();
    }

    async Task ApplyAsync(FeedChange change)
    {
        await ChangeAsync(change.Name, change.Manifest);
        Reached(change.Epoch, change.Seq, snapshot: false);
    }

    async Task ChangeAsync(string name, DatasetManifest? manifest)
    {
        var known = _mirror.GetValueOrDefault(name);
        if (manifest is null ? known is null : known is not null && known.Version == manifest.Version && known.UpdatedAt == manifest.UpdatedAt) return;
        if (manifest is null) _mirror.TryRemove(name, out _);
        else _mirror[name] = manifest;
        Func<DatasetChange, Task>[] handlers;
        lock (_subscribers) handlers = [.. _subscribers];
        foreach (var handler in handlers)
        {
            try
            {
                await handler(new DatasetChange(name, manifest));
            }
            catch (Exception e)
            {
                logger.LogError(e, "A catalog subscriber failed on the change of {Dataset}", name);
            }
        }
    }

    /// <summary>The feed is at this position: callers waiting for a change up to it go on. A snapshot of a new epoch (the catalog restarted) holds every change stored before it.</summary>
    void Reached(string epoch, long seq, bool snapshot)
    {
        lock (_positionLock)
        {
            _position = (epoch, seq);
            foreach (var waiter in _waiters.Where(w => (w.Epoch == epoch && w.Seq <= seq) || (snapshot && w.Epoch != epoch)).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
