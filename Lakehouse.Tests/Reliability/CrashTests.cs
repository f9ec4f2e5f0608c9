using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Reliability;

/// <summary>
/// The crash harness: the real host as a child process, SIGKILLed at a random moment while writers
/// ingest, append, replace, register, delete, upsert and delete vectors; after every restart each
/// invariant is checked. Outcomes of requests in flight at the kill may go either way; acknowledged
/// ones must all be there, and nothing may be half-applied.
/// </summary>
public abstract class CrashTests
{
    const int Rounds = 6;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected abstract Task<Dictionary<string, string>> EnvironmentAsync(string root);

    /// <summary>What the writers were told, across every round: the truth the restarted host must keep.</summary>
    sealed class Ledger
    {
        long _nextId;
        public long NextId() => Interlocked.Increment(ref _nextId);

        public ConcurrentDictionary<long, bool> AckedRows { get; } = new();
        public ConcurrentDictionary<long, bool> MaybeRows { get; } = new();
        public long? ReplacedAcked { get; set; }
        public List<long> ReplacedMaybe { get; } = [];
        public bool? RegisteredAcked { get; set; }
        public List<bool> RegisteredMaybe { get; } = [];
        public ConcurrentDictionary<string, bool> AckedVectors { get; } = new();
        public ConcurrentDictionary<string, bool> MaybeVectors { get; } = new();
        public ConcurrentDictionary<string, bool> AckedDeletes { get; } = new();
        public ConcurrentDictionary<string, bool> MaybeDeletes { get; } = new();

        /// <summary>Answers of 5xx the host gave while it was alive: each is a lead if an invariant breaks.</summary>
        public ConcurrentQueue<string> ServerErrors { get; } = new();

        public ConcurrentQueue<string> Events { get; } = new();
    }

    [Fact]
    public async Task Every_acknowledged_write_survives_SIGKILL_at_random_moments_and_nothing_is_half_applied()
    {
        using var root = new TempFolder();
        var environment = await EnvironmentAsync(Path.Combine(root.Path, "data"));
        environment["LAKEHOUSE__CATALOG__ORPHAN_GRACE"] = "1ms"; // nothing else writes while the restarted host loads
        // A compaction the restarted host begins at load pushes the oldest kept version out, and that version's
        // Iceberg metadata is deleted this long after: well inside the check's minute, which the 60 s default was not.
        environment["LAKEHOUSE__CATALOG__DROPPED_FILE_GRACE"] = "1s";
        environment["LAKEHOUSE__VECTORS__FOLD_MAX_DELTAS"] = "3"; // vector folds run all the time, so kills land in them too
        var ledger = new Ledger();
        var random = new Random(2026);

        await using (var first = await HostChildProcess.StartAsync(environment, root.Path))
        {
            var seed = await first.Client.IngestOkAsync("seed", "id,round\n0,0\n");
            var bytes = await first.Client.GetByteArrayAsync("/v1/storage/objects/" + seed.GetProperty("file").GetProperty("key").GetString(), Cancel);
            Assert.Equal(HttpStatusCode.Created, (await first.Client.PutAsync("/v1/storage/objects/exports/seed.parquet", new ByteArrayContent(bytes), Cancel)).StatusCode);
            (await first.Client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "v", dim = 8, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
        }

        for (var round = 1; round <= Rounds; round++)
        {
            await using (var host = await HostChildProcess.StartAsync(environment, root.Path))
            {
                await CheckInvariantsAsync(host, ledger, $"before round {round}");
                using var stop = new CancellationTokenSource();
                var writers = new[]
                {
                    AppendAsync(host.Client, ledger, round, stop.Token),
                    ReplaceAsync(host.Client, ledger, stop.Token),
                    RegisterAndDeleteAsync(host.Client, ledger, stop.Token),
                    VectorsAsync(host.Client, ledger, round, stop.Token),
                };
                await Task.Delay(random.Next(200, 1500), Cancel); // the moment of the crash: random on purpose, nothing waits on it
                await stop.CancelAsync(); // no new writes: only those in flight now have unknown outcomes
                await host.KillAsync();
                await Task.WhenAll(writers);
            }
        }
        await using var last = await HostChildProcess.StartAsync(environment, root.Path);
        await CheckInvariantsAsync(last, ledger, "after the last crash");
        Assert.True(ledger.AckedRows.Count > Rounds, $"the writers got only {ledger.AckedRows.Count} rows acknowledged in {Rounds} rounds");
        Assert.True(ledger.AckedVectors.Count > Rounds, $"only {ledger.AckedVectors.Count} vectors were acknowledged");
    }

    /// <summary>Sends one write: true when acknowledged, null when the outcome is unknown (in flight at the kill, or a 5xx); a 4xx fails the test.</summary>
    static async Task<bool?> OutcomeAsync(Ledger ledger, string what, Func<Task<HttpResponseMessage>> write)
    {
        try
        {
            using var response = await write();
            ledger.Events.Enqueue($"{what} → {(int)response.StatusCode}");
            if (response.IsSuccessStatusCode) return true;
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if ((int)response.StatusCode < 500) Assert.Fail($"{(int)response.StatusCode} {body}");
            ledger.ServerErrors.Enqueue($"{(int)response.StatusCode} {body}");
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            ledger.Events.Enqueue($"{what} → {e.GetType().Name}: {e.Message} ({e.InnerException?.Message})");
            // The host died with the request in flight. Even "connection refused" may hide one that landed:
            // HttpClient resends a request whose pooled connection closed before any answer, which is
            // what a kill right after the commit looks like.
            return null;
        }
    }

    static async Task AppendAsync(HttpClient client, Ledger ledger, int round, CancellationToken stop)
    {
        var random = new Random(round);
        while (!stop.IsCancellationRequested)
        {
            var ids = Enumerable.Range(0, random.Next(1, 50)).Select(_ => ledger.NextId()).ToList();
            var csv = new StringBuilder("id,round\n");
            foreach (var id in ids) csv.Append(id).Append(',').Append(round).Append('\n');
            var outcome = await OutcomeAsync(ledger, $"append {ids[0]}..", () => client.IngestAsync("ds", csv.ToString(), "?mode=append"));
            foreach (var id in ids)
            {
                if (outcome == true) ledger.AckedRows[id] = true;
                else ledger.MaybeRows[id] = true;
            }
        }
    }

    static async Task ReplaceAsync(HttpClient client, Ledger ledger, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var value = ledger.NextId();
            var outcome = await OutcomeAsync(ledger, $"replace {value}", () => client.IngestAsync("rp", $"v\n{value}\n", "?mode=replace"));
            if (outcome == true)
            {
                ledger.ReplacedAcked = value;
                ledger.ReplacedMaybe.Clear();
            }
            else
            {
                ledger.ReplacedMaybe.Add(value);
            }
        }
    }

    static async Task RegisterAndDeleteAsync(HttpClient client, Ledger ledger, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var register = ledger.RegisteredAcked != true;
            var outcome = await OutcomeAsync(ledger, register ? "register" : "unregister", () => register
                ? client.PutAsJsonAsync("/v1/catalog/datasets/reg", new { files = new[] { "exports/seed.parquet" } }, CancellationToken.None)
                : client.DeleteAsync("/v1/catalog/datasets/reg", CancellationToken.None));
            if (outcome == true)
            {
                ledger.RegisteredAcked = register;
                ledger.RegisteredMaybe.Clear();
            }
            else
            {
                ledger.RegisteredMaybe.Add(register);
            }
        }
    }

    static async Task VectorsAsync(HttpClient client, Ledger ledger, int round, CancellationToken stop)
    {
        var random = new Random(round * 7);
        while (!stop.IsCancellationRequested)
        {
            if (random.Next(4) == 0 && ledger.AckedVectors.Keys.Except(ledger.AckedDeletes.Keys).Except(ledger.MaybeDeletes.Keys).FirstOrDefault() is { } victim)
            {
                var deleted = await OutcomeAsync(ledger, $"delete {victim}", () => client.DeleteAsync($"/v1/vectors/indexes/v/items/{victim}", CancellationToken.None));
                if (deleted == true) ledger.AckedDeletes[victim] = true;
                else ledger.MaybeDeletes[victim] = true;
                continue;
            }
            var ids = Enumerable.Range(0, random.Next(1, 20)).Select(_ => $"r{round}-{ledger.NextId()}").ToList();
            var items = ids.Select(id => new { id, vector = Enumerable.Range(0, 8).Select(_ => random.NextSingle()).ToArray() });
            var outcome = await OutcomeAsync(ledger, $"upsert {ids[0]}..{ids[^1]}", () => client.PostAsJsonAsync("/v1/vectors/indexes/v/items", new { items }, CancellationToken.None));
            foreach (var id in ids)
            {
                if (outcome == true) ledger.AckedVectors[id] = true;
                else ledger.MaybeVectors[id] = true;
            }
        }
    }

    /// <summary>Every object a manifest names: its data files and Iceberg metadata, and those of the earlier versions it keeps.</summary>
    static IEnumerable<string> NamedKeys(JsonElement manifest)
    {
        IEnumerable<string> Of(JsonElement version) =>
            version.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("key").GetString()!)
                .Concat(version.TryGetProperty("iceberg", out var iceberg) ? iceberg.EnumerateObject().Select(p => p.Value.GetString()!) : []);
        return Of(manifest).Concat(manifest.TryGetProperty("history", out var history) ? history.EnumerateArray().SelectMany(Of) : []);
    }

    static async Task CheckInvariantsAsync(HostChildProcess host, Ledger ledger, string when)
    {
        var client = host.Client;
        var context = $"{when}; 5xx answers: [{string.Join("; ", ledger.ServerErrors)}]; writes:\n{string.Join("\n", ledger.Events.TakeLast(60))}\nhost log:\n{host.Log}";
        // What broke, first and again last: CI shows only the tail of a long message, after the host's log.
        string Failure(string what) => $"{what} {context}\n{when}: {what}";

        // Every manifest names only files that exist.
        foreach (var key in (await ManifestsAsync(client)).SelectMany(NamedKeys).ToHashSet())
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/" + key);
            Assert.True((await client.SendAsync(head, Cancel)).StatusCode == HttpStatusCode.OK, Failure($"{key} is named by a manifest but missing"));
        }
        // Every data file is named by a manifest: crash leftovers were swept. Stored files are listed before the
        // manifests are read, and the check is asked again until it holds: a background compaction the restarted
        // host began at load stores its files before its manifest names them, and the files its commit dropped
        // stay through catalog.dropped_file_grace; neither are leftovers. A real leftover stays unnamed, and the
        // wait fails after a minute naming it.
        List<string> orphans = [];
        await Polling.UntilAsync(async () =>
        {
            var stored = (await client.JsonAsync("/v1/storage/objects?prefix=datasets/&limit=10000")).GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!).ToList();
            var named = (await ManifestsAsync(client)).SelectMany(NamedKeys).ToHashSet();
            orphans = [.. stored.Where(k => !named.Contains(k))];
            return (orphans.Count == 0, true);
        }, () => Failure($"orphaned data files {string.Join(", ", orphans)}"));
        Assert.True((await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/exports/seed.parquet"), Cancel)).StatusCode == HttpStatusCode.OK,
            Failure("a registered file from outside the datasets' folders was deleted"));

        // Appends: every acknowledged row once, nothing that was never sent.
        if (!ledger.AckedRows.IsEmpty || !ledger.MaybeRows.IsEmpty)
        {
            var rows = (await ColumnAsync(client, "ds", "id")).ToList();
            Assert.True(rows.Count == rows.Distinct().Count(), Failure("a row appears twice"));
            var missing = ledger.AckedRows.Keys.Where(id => !rows.Contains(id)).ToList();
            Assert.True(missing.Count == 0, Failure($"{missing.Count} acknowledged rows are lost (e.g. {string.Join(", ", missing.Take(5))})"));
            Assert.True(rows.All(id => ledger.AckedRows.ContainsKey(id) || ledger.MaybeRows.ContainsKey(id)), Failure("a row no one sent"));
        }
        // Replace: the last acknowledged value, or the one in flight at the crash; never two.
        if (ledger.ReplacedAcked is not null || ledger.ReplacedMaybe.Count > 0)
        {
            var values = (await ColumnAsync(client, "rp", "v")).ToList();
            Assert.True(values is [] ? ledger.ReplacedAcked is null : values is [var value] && (value == ledger.ReplacedAcked || ledger.ReplacedMaybe.Contains(value)),
                Failure($"rp holds [{string.Join(", ", values)}], expected {ledger.ReplacedAcked} or one of [{string.Join(", ", ledger.ReplacedMaybe)}]"));
        }
        // Register / delete: in the last acknowledged state, or the one in flight.
        var registered = (await client.GetAsync("/v1/catalog/datasets/reg", Cancel)).StatusCode == HttpStatusCode.OK;
        if (ledger.RegisteredAcked is { } acked)
        {
            Assert.True(registered == acked || ledger.RegisteredMaybe.Contains(registered), Failure($"reg registered={registered}, acknowledged {acked}"));
        }
        // Vectors: the index loads, every acknowledged item is there unless its delete was acknowledged.
        var vectors = await client.JsonAsync("/v1/vectors/indexes/v");
        foreach (var id in ledger.AckedVectors.Keys)
        {
            var status = (await client.GetAsync($"/v1/vectors/indexes/v/items/{id}", Cancel)).StatusCode;
            var expected = ledger.AckedDeletes.ContainsKey(id) ? HttpStatusCode.NotFound : ledger.MaybeDeletes.ContainsKey(id) ? status : HttpStatusCode.OK;
            Assert.True(status == expected, Failure($"vector {id} is {(int)status}, expected {(int)expected}"));
        }
        var count = vectors.GetProperty("count").GetInt32();
        var least = ledger.AckedVectors.Count - ledger.AckedDeletes.Count - ledger.MaybeDeletes.Count;
        Assert.InRange(count, least, ledger.AckedVectors.Count + ledger.MaybeVectors.Count);

        await SettleAsync(client, ledger, registered);
    }

    /// <summary>Every dataset's manifest, as the catalog serves it now.</summary>
    static async Task<List<JsonElement>> ManifestsAsync(HttpClient client)
    {
        var manifests = new List<JsonElement>();
        foreach (var summary in (await client.JsonAsync("/v1/catalog/datasets")).GetProperty("datasets").EnumerateArray())
        {
            manifests.Add(await client.JsonAsync("/v1/catalog/datasets/" + summary.GetProperty("name").GetString()));
        }
        return manifests;
    }

    /// <summary>The values of a BIGINT column, none when the dataset does not exist (its first write never landed).</summary>
    static async Task<List<long>> ColumnAsync(HttpClient client, string dataset, string column) =>
        (await client.GetAsync("/v1/catalog/datasets/" + dataset, Cancel)).StatusCode == HttpStatusCode.NotFound
            ? []
            : [.. (await client.SqlOkAsync($"SELECT {column} FROM {dataset}")).GetProperty("rows").EnumerateArray().Select(r => r[0].GetInt64())];

    /// <summary>
    /// Writes in flight at a crash either landed or did not; now that the invariants held, the ledger
    /// takes what the host shows, so the next round starts from exact knowledge.
    /// </summary>
    static async Task SettleAsync(HttpClient client, Ledger ledger, bool registered)
    {
        if (!ledger.MaybeRows.IsEmpty)
        {
            var rows = (await ColumnAsync(client, "ds", "id")).ToHashSet();
            foreach (var id in ledger.MaybeRows.Keys.Where(rows.Contains)) ledger.AckedRows[id] = true;
            ledger.MaybeRows.Clear();
        }
        if (ledger.ReplacedMaybe.Count > 0)
        {
            ledger.ReplacedAcked = (await ColumnAsync(client, "rp", "v")) is [var value] ? value : null;
            ledger.ReplacedMaybe.Clear();
        }
        ledger.RegisteredAcked = registered;
        ledger.RegisteredMaybe.Clear();
        foreach (var id in ledger.MaybeVectors.Keys.Concat(ledger.MaybeDeletes.Keys))
        {
            var present = (await client.GetAsync($"/v1/vectors/indexes/v/items/{id}", Cancel)).StatusCode == HttpStatusCode.OK;
            if (present) ledger.AckedVectors[id] = true;
            else if (ledger.AckedVectors.ContainsKey(id)) ledger.AckedDeletes[id] = true;
        }
        ledger.MaybeVectors.Clear();
        ledger.MaybeDeletes.Clear();
    }
}

public sealed class FileSystemCrashTests : CrashTests
{
    protected override Task<Dictionary<string, string>> EnvironmentAsync(string root) =>
        Task.FromResult(new Dictionary<string, string> { ["LAKEHOUSE__STORAGE__ROOT"] = root });
}

public sealed class S3CrashTests(S3TestServer s3) : CrashTests
{
    protected override async Task<Dictionary<string, string>> EnvironmentAsync(string root) =>
        HostChildProcess.EnvironmentOf(await s3.SettingsForNewBucketAsync());
}
