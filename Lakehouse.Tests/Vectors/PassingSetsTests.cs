using System.Text.Json;
using Lakehouse.Vectors;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Tests.Vectors;

/// <summary>
/// A filter's set of passing items follows the index through inserts, metadata updates that make an
/// item pass or fail, deletes and slot reuse: patched with the changed slots only, and every filtered
/// search after each change equals a brute force over the items that pass then.
/// </summary>
public sealed class PassingSetsTests
{
    const int Dim = 4;

    sealed class Model
    {
        public Dictionary<string, (float[] Vector, int Group)> Items { get; } = [];
    }

    static VectorFilter Group(int group) =>
        VectorFilter.Parse(JsonSerializer.Deserialize<JsonElement>($$$"""{"must":[{"key":"g","match":{"value":{{{group}}}}}]}"""));

    static List<string> Truth(Model model, float[] query, int group) =>
        [.. model.Items.Where(i => i.Value.Group == group).OrderBy(i => Distances.SquaredL2(query, i.Value.Vector)).Take(10).Select(i => i.Key)];

    static void Upsert(VectorIndex index, Model model, string id, float[] vector, int group)
    {
        index.Upsert([new VectorItem(id, vector, $$"""{"g":{{group}}}""")]);
        model.Items[id] = (vector, group);
    }

    static float[] RandomVector(Random random) => [.. Enumerable.Range(0, Dim).Select(_ => (float)random.NextDouble())];

    /// <summary>An index of <paramref name="items"/> items in ten groups, and the model of it the test keeps.</summary>
    static (VectorIndex Index, Model Model) Filled(Random random, int items)
    {
        var index = new VectorIndex(new IndexParams("t", Dim, Metric.L2, 16, 200, 64));
        var model = new Model();
        for (var i = 0; i < items; i++) Upsert(index, model, $"i{i}", RandomVector(random), i % 10);
        return (index, model);
    }

    [Fact]
    public void Each_change_is_patched_into_the_set_and_searches_match_a_brute_force()
    {
        var random = new Random(5);
        var (index, model) = Filled(random, 500);
        var filter = Group(3);
        var query = RandomVector(random);
        Assert.Equal(Truth(model, query, 3), index.Search(query, 10, 64, filter).Select(h => h.Id));
        var next = 500;

        for (var change = 0; change < 200; change++)
        {
            var ids = model.Items.Keys.ToList();
            switch (random.Next(4))
            {
                case 0: // an item moves into the filter's group, or out of it
                    var moved = ids[random.Next(ids.Count)];
                    Upsert(index, model, moved, model.Items[moved].Vector, model.Items[moved].Group == 3 ? 4 : 3);
                    break;
                case 1: // a new item, in a slot a delete freed when there is one
                    Upsert(index, model, $"i{next++}", RandomVector(random), random.Next(2) == 0 ? 3 : 7);
                    break;
                case 2:
                    var gone = ids[random.Next(ids.Count)];
                    Assert.True(index.Delete(gone));
                    model.Items.Remove(gone);
                    break;
                default: // a new vector for an item, its group kept
                    var changed = ids[random.Next(ids.Count)];
                    Upsert(index, model, changed, RandomVector(random), model.Items[changed].Group);
                    break;
            }
            query = RandomVector(random);
            var hits = index.Search(query, 10, 64, filter);
            Assert.Equal(Truth(model, query, 3), hits.Select(h => h.Id));
        }
        Assert.Equal(1, index.PassingSets.FullBuilds);
    }

    [Fact]
    public void A_set_older_than_the_changes_remembered_is_built_again_and_still_right()
    {
        var random = new Random(6);
        var (index, model) = Filled(random, 200);
        var filter = Group(3);
        index.Search(RandomVector(random), 10, 64, filter);

        for (var i = 0; i < 300; i++) Upsert(index, model, $"i{i % 200}", model.Items[$"i{i % 200}"].Vector, (i + 1) % 10);
        var query = RandomVector(random);
        Assert.Equal(Truth(model, query, 3), index.Search(query, 10, 64, filter).Select(h => h.Id));
        Assert.Equal(2, index.PassingSets.FullBuilds);
    }

    [Fact]
    public async Task Searches_racing_writes_only_return_items_that_pass_as_returned()
    {
        var random = new Random(9);
        var (index, _) = Filled(random, 1000);
        var filters = Enumerable.Range(0, 10).Select(Group).ToArray();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            // Items move between groups, go, and come back into slots other items freed, as fast as one writer can.
            var moves = new Random(1);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                // A delete frees a slot that the next new item takes: another item, in the same slot.
                if (i % 5 == 0) index.Delete($"i{moves.Next(1000)}");
                var id = $"i{moves.Next(1000)}";
                index.Upsert([new VectorItem(id, RandomVector(moves), $$"""{"g":{{moves.Next(10)}},"id":"{{id}}"}""")]);
            }
        }, TestContext.Current.CancellationToken);
        var wrong = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var searches = Enumerable.Range(0, 2).Select(reader => Task.Run(() =>
        {
            var queries = new Random(reader);
            for (var i = 0; i < 4000; i++)
            {
                var group = queries.Next(10);
                foreach (var hit in index.Search(RandomVector(queries), 10, 64, filters[group]))
                {
                    // As the writer wrote it, naming the item, or as Filled left it.
                    var expected = hit.Metadata?.Contains("\"id\"", StringComparison.Ordinal) == true ? $$"""{"g":{{group}},"id":"{{hit.Id}}"}""" : $$"""{"g":{{group}}}""";
                    if (hit.Metadata != expected) wrong.Enqueue($"{hit.Id} with {hit.Metadata ?? "no metadata"} for g = {group}");
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(searches);
        await stop.CancelAsync();
        await writer;
        Assert.True(wrong.IsEmpty, $"{wrong.Count} results did not pass, e.g. {string.Join("; ", wrong.Take(3))}");
    }
}
