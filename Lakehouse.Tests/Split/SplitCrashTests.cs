using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Lakehouse.Tests.Infrastructure;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Split;

/// <summary>
/// Two ingest processes append while the storage+catalog process is SIGKILLed at a random moment and
/// started again: every append either process acknowledged is there exactly once, none is there
/// twice (a commit whose answer was lost is never applied again), and every file a manifest names
/// exists. Appends in flight at the kill may go either way.
/// </summary>
public sealed class SplitCrashTests
{
    const int Rounds = 3;

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acknowledged_appends_from_two_processes_survive_a_kill_of_the_catalog_once_each()
    {
        using var root = new TempFolder();
        await using var lakehouse = await SplitDeployment.StartAsync(Shape.Two, new() { ["storage:root"] = Path.Combine(root.Path, "data") }, root.Path);
        var (first, second) = lakehouse.Ingesters;
        await first.IngestOkAsync("events", "id\n0\n");
        var acked = new ConcurrentDictionary<long, bool>();
        var maybe = new ConcurrentDictionary<long, bool>();
        acked[0] = true;
        var next = 0L;
        var random = new Random(10);

        for (var round = 1; round <= Rounds; round++)
        {
            using var stop = new CancellationTokenSource();
            async Task AppendAsync(HttpClient ingester)
            {
                while (!stop.IsCancellationRequested)
                {
                    var id = Interlocked.Increment(ref next);
                    maybe[id] = true;
                    try
                    {
                        using var response = await ingester.PostAsync("/v1/ingest/events?mode=append", new StringContent($"id\n{id}\n", Encoding.UTF8, "text/csv"), CancellationToken.None);
                        if (response.StatusCode == HttpStatusCode.Created) acked[id] = true;
                    }
                    catch (HttpRequestException)
                    {
                        // the answer was lost: maybe
                    }
                }
            }
            var writers = new[] { AppendAsync(first), AppendAsync(second) };
            await Task.Delay(random.Next(300, 1200), Cancel); // the moment of the crash: random on purpose, nothing waits on it
            await lakehouse.KillAsync("storage-catalog");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await lakehouse.RestartAsync("storage-catalog");

            var catalog = lakehouse.For("catalog");
            var manifest = await catalog.JsonAsync("/v1/catalog/datasets/events");
            foreach (var file in manifest.GetProperty("files").EnumerateArray())
            {
                using var head = new HttpRequestMessage(HttpMethod.Head, "/v1/storage/objects/" + file.GetProperty("key").GetString());
                Assert.Equal(HttpStatusCode.OK, (await catalog.SendAsync(head, Cancel)).StatusCode);
            }
            // The query process follows the restarted catalog on its own, and sees what the catalog holds.
            var expected = manifest.GetProperty("row_count").GetInt64();
            var ids = await Polling.UntilAsync(async () =>
            {
                var response = await lakehouse.For("query").SqlAsync("SELECT id FROM events ORDER BY id");
                if (response.StatusCode != HttpStatusCode.OK) return (false, Array.Empty<long>());
                var rows = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("rows").EnumerateArray().Select(r => r[0].GetInt64()).ToArray();
                return (rows.Length == expected, rows);
            }, () => $"the query process at the catalog's {expected} rows after round {round}");
            Assert.Equal(ids.Length, ids.Distinct().Count()); // nothing applied twice
            Assert.All(acked.Keys, id => Assert.Contains(id, ids));
            Assert.All(ids, id => Assert.True(acked.ContainsKey(id) || maybe.ContainsKey(id), $"row {id} was never sent"));
            (first, second) = lakehouse.Ingesters;
        }
        Assert.True(acked.Count > Rounds, "the writers got appends through");
    }
}
