using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Iceberg;

/// <summary>
/// Every dataset is an Apache Iceberg table that independent clients find through our REST catalog
/// and read where it lies, row for row what our SQL answers. What the clients cannot check (icebird
/// ignores Parquet field ids and drops columns whose names hold spaces) is checked directly.
/// </summary>
public sealed class IcebergTableTests(S3TestServer s3)
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Every type ingest infers, NULLs in each, and a column whose name has a space.</summary>
    const string People = """
        id,name,price,day,at,flag,first name
        1,ann,1.5,2024-01-02,2024-01-02 03:04:05,true,Ann
        2,,,2024-01-03,,false,
        3,"chen, c",-7.25,,2024-12-31 23:59:59,,Chen
        """;

    static async Task<LakehouseFactory> HostWithKeysAsync(TempFolder folder, Dictionary<string, string>? settings = null)
    {
        var config = Path.Combine(folder.Path, "keys.toml");
        await File.WriteAllTextAsync(config, "[auth]\nkeys = [{ key = \"k\", role = \"read_write\" }]\n", Cancel);
        return new LakehouseFactory(settings, configPath: config);
    }

    static HttpClient Client(LakehouseFactory host)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "k");
        return client;
    }

    [Fact]
    public async Task Independent_clients_list_load_and_read_every_table_as_our_sql_reads_it()
    {
        using var folder = new TempFolder();
        await using var host = await HostWithKeysAsync(folder, new() { ["catalog:compact_min_files"] = "0" });
        var client = Client(host);
        await client.IngestOkAsync("people", People);
        await client.IngestOkAsync("people", People.Replace("1,ann", "4,dan", StringComparison.Ordinal), "?mode=append");
        await client.IngestOkAsync("replaced", "a,b\n1,x\n");
        await client.IngestOkAsync("replaced", "a,b\n2,y\n3,z\n", "?mode=replace");
        // A Parquet file written by another tool (no field ids): readers map its columns by name.
        var scratch = await client.IngestOkAsync("scratch", "k,v\n1,one\n2,two\n");
        var bytes = await client.GetByteArrayAsync("/v1/storage/objects/" + scratch.GetProperty("file").GetProperty("key").GetString(), Cancel);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/storage/objects/outside/kv.parquet", new ByteArrayContent(bytes), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/catalog/datasets/registered", new { files = new[] { "outside/kv.parquet" } }, Cancel)).StatusCode);

        var found = await IcebergClients.ReadAllTablesAsync(client.BaseAddress!, "k");

        Assert.Equal("""[{"namespace":["default"]}]""", found.GetProperty("namespaces").GetRawText());
        var tables = found.GetProperty("tables");
        Assert.Equal(["people", "registered", "replaced", "scratch"], tables.EnumerateObject().Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var table in tables.EnumerateObject())
        {
            Assert.Equal(new Uri(Path.Combine(host.Root, "datasets", table.Name)).AbsoluteUri, table.Value.GetProperty("location").GetString());
            await AssertSameRowsAsync(client, $"SELECT * FROM {table.Name}", table.Value.GetProperty("rows"), table.Name);
            // Every kept version, read by icebird as of its snapshot, is what dataset_at reads.
            var snapshots = table.Value.GetProperty("snapshots").EnumerateObject().ToList();
            Assert.Equal((await client.JsonAsync($"/v1/catalog/datasets/{table.Name}/versions")).GetProperty("versions").GetArrayLength(), snapshots.Count);
            foreach (var snapshot in snapshots)
            {
                await AssertSameRowsAsync(client, $"SELECT * FROM dataset_at('{table.Name}', {snapshot.Name})", snapshot.Value.GetProperty("rows"), $"{table.Name} at {snapshot.Name}");
            }
        }
        Assert.Equal(["append", "append"], tables.GetProperty("people").GetProperty("snapshots").EnumerateObject().Select(s => s.Value.GetProperty("operation").GetString()));
        Assert.Equal(["append", "overwrite"], tables.GetProperty("replaced").GetProperty("snapshots").EnumerateObject().Select(s => s.Value.GetProperty("operation").GetString()));
    }

    static async Task AssertSameRowsAsync(HttpClient client, string sql, JsonElement theirRows, string what)
    {
        var result = await client.SqlOkAsync(sql);
        var columns = result.GetProperty("columns").EnumerateArray().Select(c => (Name: c.GetProperty("name").GetString()!, Type: c.GetProperty("type").GetString()!)).ToList();
        var ours = result.GetProperty("rows").EnumerateArray().ToList();
        var theirs = theirRows.EnumerateArray().ToList();
        Assert.NotEmpty(ours);
        Assert.True(ours.Count == theirs.Count, $"{what}: {ours.Count} rows by SQL, {theirs.Count} by icebird");
        for (var row = 0; row < ours.Count; row++)
        {
            for (var column = 0; column < columns.Count; column++)
            {
                var (name, type) = columns[column];
                if (name.Contains(' ', StringComparison.Ordinal)) continue; // icebird drops such columns: checked by the field-id test
                Assert.True(theirs[row].TryGetProperty(name, out var value), $"{what}.{name} missing from icebird's row {row}");
                Assert.Equal(Normal(ours[row][column], type), Normal(value, type));
            }
        }
    }

    /// <summary>One value as text both sides agree on: icebird gives longs as strings and dates as instants.</summary>
    static string? Normal(JsonElement value, string type) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        _ when type == "DATE" => value.GetString()![..10],
        _ when type == "TIMESTAMP" => DateTime.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).ToString("O", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };

    [Fact]
    public async Task Parquet_files_carry_the_field_ids_of_the_iceberg_schema_and_the_name_mapping_covers_every_column()
    {
        using var folder = new TempFolder();
        await using var host = await HostWithKeysAsync(folder);
        var client = Client(host);
        var manifest = await client.IngestOkAsync("people", People);
        var table = await client.JsonAsync("/iceberg/v1/namespaces/default/tables/people");
        var metadata = table.GetProperty("metadata");
        var fields = metadata.GetProperty("schemas")[0].GetProperty("fields").EnumerateArray().Select(f => (Id: f.GetProperty("id").GetInt32(), Name: f.GetProperty("name").GetString()!, Type: f.GetProperty("type").GetString()!)).ToList();
        Assert.Equal([(1, "id", "long"), (2, "name", "string"), (3, "price", "double"), (4, "day", "date"), (5, "at", "timestamp"), (6, "flag", "boolean"), (7, "first name", "string")], fields);
        // DuckDB's own reading of the Parquet footer: every column carries its Iceberg field id.
        var path = Path.Combine(host.Root, manifest.GetProperty("file").GetProperty("key").GetString()!);
        var ids = (await client.SqlOkAsync($"SELECT name, field_id FROM parquet_schema('{path}') WHERE field_id IS NOT NULL")).GetProperty("rows").EnumerateArray()
            .Select(r => (Id: r[1].GetInt32(), Name: r[0].GetString()!)).ToList();
        Assert.Equal(fields.Select(f => (f.Id, f.Name)), ids);
        var mapping = JsonDocument.Parse(metadata.GetProperty("properties").GetProperty("schema.name-mapping.default").GetString()!).RootElement;
        Assert.Equal(fields.Select(f => (f.Id, f.Name)), mapping.EnumerateArray().Select(m => (m.GetProperty("field-id").GetInt32(), m.GetProperty("names")[0].GetString()!)));
    }

    [Fact]
    public async Task Each_version_is_a_snapshot_whose_operation_and_sequence_say_what_happened()
    {
        using var folder = new TempFolder();
        await using var host = await HostWithKeysAsync(folder, new() { ["catalog:compact_min_files"] = "0" });
        var client = Client(host);
        async Task<JsonElement> SnapshotAsync()
        {
            var metadata = (await client.JsonAsync("/iceberg/v1/namespaces/default/tables/t")).GetProperty("metadata");
            var current = metadata.GetProperty("current-snapshot-id").GetInt64();
            return metadata.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("snapshot-id").GetInt64() == current);
        }
        await client.IngestOkAsync("t", "a\n1\n");
        var first = await SnapshotAsync();
        Assert.Equal("append", first.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal(1, first.GetProperty("sequence-number").GetInt64());
        await client.IngestOkAsync("t", "a\n2\n", "?mode=append");
        var second = await SnapshotAsync();
        Assert.Equal("append", second.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal(first.GetProperty("snapshot-id").GetInt64(), second.GetProperty("parent-snapshot-id").GetInt64());
        Assert.Equal("1", second.GetProperty("summary").GetProperty("added-data-files").GetString());
        Assert.Equal("2", second.GetProperty("summary").GetProperty("total-records").GetString());
        (await client.PostAsync("/v1/catalog/datasets/t/compact", null, Cancel)).EnsureSuccessStatusCode();
        var compacted = await SnapshotAsync();
        Assert.Equal("replace", compacted.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal("2", compacted.GetProperty("summary").GetProperty("deleted-data-files").GetString());
        await client.IngestOkAsync("t", "a\n9\n", "?mode=replace");
        var replaced = await SnapshotAsync();
        Assert.Equal("overwrite", replaced.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal(4, replaced.GetProperty("sequence-number").GetInt64());
    }

    [Fact]
    public async Task Kept_versions_are_listed_readable_and_their_files_stay_until_they_expire()
    {
        using var folder = new TempFolder();
        await using var host = await HostWithKeysAsync(folder, new() { ["catalog:keep_versions"] = "3" });
        var client = Client(host);
        var files = new List<string>();
        for (var v = 1; v <= 4; v++)
        {
            var result = await client.IngestOkAsync("t", $"a,b\n{v},{new string('x', v)}\n", v == 1 ? "" : "?mode=replace");
            files.Add(result.GetProperty("file").GetProperty("key").GetString()!);
        }
        var versions = (await client.JsonAsync("/v1/catalog/datasets/t/versions")).GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([4L, 3L, 2L], versions.Select(v => v.GetProperty("version").GetInt64()));
        Assert.All(versions, v => Assert.Equal("overwrite", v.GetProperty("operation").GetString()));
        for (var v = 2; v <= 4; v++)
        {
            Assert.Equal($"[{v},\"{new string('x', v)}\"]", (await client.SqlOkAsync($"SELECT * FROM dataset_at('t', {v})")).GetProperty("rows")[0].GetRawText());
        }
        Assert.Equal("[4]", (await client.SqlOkAsync("SELECT a FROM t")).GetProperty("rows")[0].GetRawText());
        await ProblemAssert.IsProblem(await client.SqlAsync("SELECT * FROM dataset_at('t', 1)"), HttpStatusCode.BadRequest, "the kept versions are 2, 3, 4");
        await ProblemAssert.IsProblem(await client.SqlAsync("SELECT * FROM dataset_at('nothing', 1)"), HttpStatusCode.BadRequest, "There is no dataset 'nothing'");
        await ProblemAssert.IsProblem(await client.SqlAsync("SELECT * FROM dataset_at(NULL, 1)"), HttpStatusCode.BadRequest, "dataset_at needs a dataset name");
        // Version 1 expired: its file is gone; the kept versions' files stay though the current version no longer names them.
        var stored = (await client.JsonAsync("/v1/storage/objects?prefix=datasets/t/")).GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()).ToHashSet();
        Assert.DoesNotContain(files[0], stored);
        Assert.All(files.Skip(1), key => Assert.Contains(key, stored));
        var metadata = (await client.JsonAsync("/iceberg/v1/namespaces/default/tables/t")).GetProperty("metadata");
        Assert.Equal([2L, 3L, 4L], metadata.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("sequence-number").GetInt64()));
        await ProblemAssert.IsProblem(await client.GetAsync("/v1/catalog/datasets/none/versions", Cancel), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Datasets_stored_without_iceberg_metadata_gain_it_at_start_and_a_deleted_dataset_leaves_no_table()
    {
        using var root = new TempFolder();
        await using (var before = new LakehouseFactory(new Dictionary<string, string> { ["iceberg:enabled"] = "false" }, root.Path))
        {
            var client = before.CreateClient();
            await client.IngestOkAsync("old", "a\n1\n2\n");
            Assert.False((await client.JsonAsync("/v1/catalog/datasets/old")).TryGetProperty("iceberg", out _));
            Assert.Equal("""{"identifiers":[]}""", (await client.JsonAsync("/iceberg/v1/namespaces/default/tables")).GetRawText());
        }
        await using var after = new LakehouseFactory(root: root.Path);
        var upgraded = after.CreateClient();
        var found = await IcebergClients.ReadAllTablesAsync(upgraded.BaseAddress!, null);
        Assert.Equal("""[{"a":"1"},{"a":"2"}]""", found.GetProperty("tables").GetProperty("old").GetProperty("rows").GetRawText());
        Assert.Equal(1, (await upgraded.JsonAsync("/v1/catalog/datasets/old")).GetProperty("version").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await upgraded.DeleteAsync("/v1/catalog/datasets/old", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await upgraded.GetAsync("/iceberg/v1/namespaces/default/tables/old", Cancel)).StatusCode);
        Assert.Equal(0, (await upgraded.JsonAsync("/v1/storage/objects?prefix=datasets/old/")).GetProperty("objects").GetArrayLength());
    }

    [Fact]
    public async Task The_catalog_speaks_the_rest_protocol_and_its_error_shape_and_needs_a_key()
    {
        using var folder = new TempFolder();
        await using var host = await HostWithKeysAsync(folder);
        var client = Client(host);
        await client.IngestOkAsync("t", "a\n1\n");
        Assert.Equal("""{"defaults":{},"overrides":{}}""", (await client.JsonAsync("/iceberg/v1/config")).GetRawText());
        Assert.Equal("""{"namespaces":[["default"]]}""", (await client.JsonAsync("/iceberg/v1/namespaces")).GetRawText());
        Assert.Equal("""{"identifiers":[{"namespace":["default"],"name":"t"}]}""", (await client.JsonAsync("/iceberg/v1/namespaces/default/tables")).GetRawText());
        var loaded = await client.JsonAsync("/iceberg/v1/namespaces/default/tables/t");
        Assert.StartsWith(new Uri(Path.Combine(host.Root, "datasets", "t", "metadata")).AbsoluteUri + "/", loaded.GetProperty("metadata-location").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, loaded.GetProperty("metadata").GetProperty("format-version").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/iceberg/v1/namespaces/default/tables/t"), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/iceberg/v1/namespaces/default/tables/nope"), Cancel)).StatusCode);

        var missing = await client.GetAsync("/iceberg/v1/namespaces/default/tables/nope", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/json", missing.Content.Headers.ContentType?.MediaType);
        var error = (await missing.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");
        Assert.Equal("NoSuchTableException", error.GetProperty("type").GetString());
        Assert.Equal(404, error.GetProperty("code").GetInt32());
        Assert.Equal("NoSuchNamespaceException", (await (await client.GetAsync("/iceberg/v1/namespaces/other/tables", Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetProperty("type").GetString());

        var anonymous = await host.CreateClient().GetAsync("/iceberg/v1/namespaces", Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("NotAuthorizedException", (await anonymous.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Locations_are_s3_uris_on_the_s3_backend_and_a_configured_base_replaces_them()
    {
        var settings = await s3.SettingsForNewBucketAsync();
        await using (var host = new LakehouseFactory(settings))
        {
            var client = host.CreateClient();
            await client.IngestOkAsync("t", "a\n1\n");
            var loaded = await client.JsonAsync("/iceberg/v1/namespaces/default/tables/t");
            Assert.StartsWith($"s3://{settings["s3:bucket"]}/datasets/t/metadata/", loaded.GetProperty("metadata-location").GetString(), StringComparison.Ordinal);
            Assert.Equal($"s3://{settings["s3:bucket"]}/datasets/t", loaded.GetProperty("metadata").GetProperty("location").GetString());
        }
        await using var based = new LakehouseFactory(new Dictionary<string, string> { ["iceberg:location_base"] = "s3a://lake/warehouse" });
        var other = based.CreateClient();
        await other.IngestOkAsync("t", "a\n1\n");
        Assert.Equal("s3a://lake/warehouse/datasets/t", (await other.JsonAsync("/iceberg/v1/namespaces/default/tables/t")).GetProperty("metadata").GetProperty("location").GetString());
    }
}
