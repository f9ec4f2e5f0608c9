using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Vectors;

/// <summary>
/// Vector batches stored as LHVD deltas beside the LHV1 snapshot (docs/api.md, "Persistence"), through
/// the REST API, on each backend: exact restarts from any mix of snapshot and deltas, a bad delta
/// ending the replay where it is, and folds while batches keep coming.
/// </summary>
public abstract class VectorLogContractTests
{
    protected abstract Task<LakehouseFactory> CreateAsync(Dictionary<string, string> settings);

    protected virtual Task<Dictionary<string, string>> SharedSettingsAsync() => Task.FromResult(new Dictionary<string, string>());

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    const int Dim = 16;

    static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    static async Task UpsertAsync(HttpClient client, string index, IEnumerable<(string Id, float[] Vector)> items)
    {
        var response = await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/items", new { items = items.Select(i => new { id = i.Id, vector = i.Vector, metadata = new { of = i.Id } }) }, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    static async Task CreateIndexAsync(HttpClient client, string index)
    {
        var response = await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = index, dim = Dim }, Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    static async Task<List<string>> DeltaKeysAsync(HttpClient client, string index)
    {
        var page = await client.JsonAsync($"/v1/storage/objects?prefix=_vectors/{index}.&limit=10000");
        return [.. page.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!).Where(k => k.EndsWith(".lhvd", StringComparison.Ordinal))];
    }

    /// <summary>Search answers at a small beam, which any difference in the graph would change, and every item's stored vector.</summary>
    static async Task<List<string>> AnswersAsync(HttpClient client, string index, IReadOnlyList<float[]> queries, IEnumerable<string> ids)
    {
        var answers = new List<string>();
        foreach (var query in queries)
        {
            var response = await client.PostAsJsonAsync($"/v1/vectors/indexes/{index}/search", new { vector = query, k = 10, ef = 10 }, Cancel);
            answers.Add(await response.Content.ReadAsStringAsync(Cancel));
        }
        foreach (var id in ids) answers.Add(await (await client.GetAsync($"/v1/vectors/indexes/{index}/items/{id}", Cancel)).Content.ReadAsStringAsync(Cancel));
        return answers;
    }

    async Task<(Dictionary<string, string> Settings, TempFolder Root)> SettingsAsync(params (string Key, string Value)[] extra)
    {
        var settings = await SharedSettingsAsync();
        var root = new TempFolder();
        settings["storage:root"] = root.Path;
        foreach (var (key, value) in extra) settings[key] = value;
        return (settings, root);
    }

    [Fact]
    public async Task Each_change_is_one_delta_and_restarts_from_any_mix_of_snapshot_and_deltas_answer_the_same()
    {
        var (settings, root) = await SettingsAsync(("vectors:fold_max_deltas", "1000"));
        using var _ = root;
        var random = new Random(17);
        var vectors = Enumerable.Range(0, 1200).Select(i => ($"v{i}", RandomVector(random))).ToList();
        var queries = Enumerable.Range(0, 25).Select(_ => RandomVector(random)).ToList();
        var ids = new[] { "v1", "v4", "v299", "v300", "v301", "v1199" };
        List<string> before;
        await using (var first = await CreateAsync(settings))
        {
            var client = first.CreateClient();
            (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "logged", dim = Dim, metric = "cosine", m = 8 }, Cancel)).EnsureSuccessStatusCode();
            await UpsertAsync(client, "logged", vectors.Take(1));
            await UpsertAsync(client, "logged", vectors.Skip(1).Take(299));
            await UpsertAsync(client, "logged", vectors.Skip(300).Take(800)); // linked on every core
            for (var i = 0; i < 30; i += 3) Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/vectors/indexes/logged/items/v{i}", Cancel)).StatusCode);
            await UpsertAsync(client, "logged", vectors.Skip(1100).Take(100).Concat(vectors.Skip(290).Take(20).Select(v => (v.Item1, RandomVector(random)))));
            Assert.Equal(14, (await DeltaKeysAsync(client, "logged")).Count);
            before = await AnswersAsync(client, "logged", queries, ids);
        }
        await using (var second = await CreateAsync(settings))
        {
            var again = await second.CreateReadyClientAsync();
            Assert.Equal(before, await AnswersAsync(again, "logged", queries, ids));
        }
        settings["vectors:fold_max_deltas"] = "2"; // the load finds 14 deltas: more than enough, so it folds
        await using (var third = await CreateAsync(settings))
        {
            var again = await third.CreateReadyClientAsync();
            await Polling.UntilAsync(async () => ((await DeltaKeysAsync(again, "logged")).Count == 0, 0), () => "the fold at start never removed the deltas");
            Assert.Equal(before, await AnswersAsync(again, "logged", queries, ids));
            await UpsertAsync(again, "logged", [("late", RandomVector(random))]); // a delta after the new snapshot
            before = await AnswersAsync(again, "logged", queries, [.. ids, "late"]);
        }
        await using var fourth = await CreateAsync(settings);
        var last = await fourth.CreateReadyClientAsync();
        Assert.Equal(before, await AnswersAsync(last, "logged", queries, [.. ids, "late"]));
    }

    public static TheoryData<string> Damages => ["torn", "flipped", "foreign"];

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_bad_delta_ends_the_replay_there_and_is_set_aside(string damage)
    {
        var (settings, root) = await SettingsAsync();
        using var _ = root;
        var random = new Random(5);
        byte[]? foreign = null;
        await using (var first = await CreateAsync(settings))
        {
            var client = first.CreateClient();
            foreach (var name in new[] { "kept", "other" })
            {
                (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name, dim = Dim }, Cancel)).EnsureSuccessStatusCode();
                for (var batch = 0; batch < 4; batch++) await UpsertAsync(client, name, Enumerable.Range(batch * 10, 10).Select(i => ($"b{batch}-{i}", RandomVector(random))));
            }
            foreign = await client.GetByteArrayAsync("/v1/storage/objects/_vectors/other.log/0000000000000000003.lhvd", Cancel);
        }
        await StoredObjects.DamageAsync(settings, root.Path, "_vectors/kept.log/0000000000000000003.lhvd", bytes => damage switch
        {
            "torn" => bytes[..(bytes.Length / 2)],
            "flipped" => [.. bytes.Select((b, i) => i == bytes.Length / 2 ? (byte)(b ^ 1) : b)],
            _ => foreign!,
        });
        await using (var second = await CreateAsync(settings))
        {
            var again = await second.CreateReadyClientAsync();
            Assert.Equal(20, (await again.JsonAsync("/v1/vectors/indexes/kept")).GetProperty("count").GetInt32()); // batches 1 and 2, not 3 nor 4 after it
            Assert.Equal(40, (await again.JsonAsync("/v1/vectors/indexes/other")).GetProperty("count").GetInt32());
            var rejected = await again.JsonAsync("/v1/storage/objects?prefix=_vectors/kept.rejected/");
            Assert.Equal(2, rejected.GetProperty("objects").GetArrayLength());
            await UpsertAsync(again, "kept", [("after", RandomVector(random))]); // change 3 again, a new one
        }
        await using var third = await CreateAsync(settings);
        var last = await third.CreateReadyClientAsync();
        Assert.Equal(21, (await last.JsonAsync("/v1/vectors/indexes/kept")).GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await last.GetAsync("/v1/vectors/indexes/kept/items/after", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await last.GetAsync("/v1/vectors/indexes/kept/items/b3-30", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Folds_run_while_batches_keep_coming_and_lose_nothing()
    {
        var (settings, root) = await SettingsAsync(("vectors:fold_max_deltas", "3"));
        using var _ = root;
        var stored = new System.Collections.Concurrent.ConcurrentDictionary<string, float[]>();
        await using (var first = await CreateAsync(settings))
        {
            var client = first.CreateClient();
            (await client.PostAsJsonAsync("/v1/vectors/indexes", new { name = "busy", dim = Dim, metric = "l2" }, Cancel)).EnsureSuccessStatusCode();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
            {
                var random = new Random(writer);
                for (var batch = 0; batch < 12; batch++)
                {
                    var items = Enumerable.Range(0, 25).Select(i => ($"w{writer}-{batch}-{i}", RandomVector(random))).ToList();
                    await UpsertAsync(client, "busy", items);
                    foreach (var (id, vector) in items) stored[id] = vector;
                }
            }, Cancel)));
            Assert.InRange((await DeltaKeysAsync(client, "busy")).Count, 0, 47); // folds ran: 48 batches did not leave 48 deltas
            var metrics = await client.GetStringAsync("/metrics", Cancel);
            Assert.Matches(@"lakehouse_vectors_stored_bytes_total\{[^}]*kind=""snapshot""[^}]*\} [1-9]", metrics);
            Assert.Matches(@"lakehouse_vectors_stored_bytes_total\{[^}]*kind=""delta""[^}]*\} [1-9]", metrics);
        }
        await using var second = await CreateAsync(settings);
        var again = await second.CreateReadyClientAsync();
        Assert.Equal(stored.Count, (await again.JsonAsync("/v1/vectors/indexes/busy")).GetProperty("count").GetInt32());
        foreach (var (id, vector) in stored)
        {
            var item = await again.JsonAsync($"/v1/vectors/indexes/busy/items/{id}");
            Assert.Equal(vector, item.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()));
        }
    }

    [Fact]
    public async Task A_deleted_index_leaves_nothing_a_new_one_of_its_name_could_replay()
    {
        var (settings, root) = await SettingsAsync();
        using var _ = root;
        var random = new Random(8);
        await using (var first = await CreateAsync(settings))
        {
            var client = first.CreateClient();
            await CreateIndexAsync(client, "again");
            for (var batch = 0; batch < 3; batch++) await UpsertAsync(client, "again", [($"old{batch}", RandomVector(random))]);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/vectors/indexes/again", Cancel)).StatusCode);
            Assert.Empty(await DeltaKeysAsync(client, "again"));
            await CreateIndexAsync(client, "again");
            await UpsertAsync(client, "again", [("new", RandomVector(random))]);
        }
        await using var second = await CreateAsync(settings);
        var again = await second.CreateReadyClientAsync();
        Assert.Equal(1, (await again.JsonAsync("/v1/vectors/indexes/again")).GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync("/v1/vectors/indexes/again/items/old0", Cancel)).StatusCode);
    }
}

public sealed class FileSystemVectorLogTests : VectorLogContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string> settings) =>
        Task.FromResult(new LakehouseFactory(settings, settings.GetValueOrDefault("storage:root")));
}

public sealed class S3VectorLogTests(S3TestServer s3) : VectorLogContractTests
{
    protected override Task<LakehouseFactory> CreateAsync(Dictionary<string, string> settings) => s3.HostAsync(settings);

    protected override Task<Dictionary<string, string>> SharedSettingsAsync() => s3.SettingsForNewBucketAsync();
}
