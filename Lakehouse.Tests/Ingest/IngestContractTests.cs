using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Ingest;

/// <summary>Ingest and catalog through REST, run against each storage backend by a subclass.</summary>
public abstract class IngestContractTests
{
    protected abstract Task<LakehouseFactory> CreateAsync(Dictionary<string, string>? settings = null, string? root = null);

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string> SpectrumCases() =>
        [.. Directory.EnumerateFiles(Path.Combine(RepoPaths.TestData, "csv-spectrum", "csvs"), "*.csv").Select(path => Path.GetFileNameWithoutExtension(path)!).Order()];

    [Theory]
    [MemberData(nameof(SpectrumCases))]
    public async Task Csv_spectrum_case_reads_back_from_parquet_exactly(string name)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csvPath = Path.Combine(RepoPaths.TestData, "csv-spectrum", "csvs", name + ".csv");
        var result = await client.IngestOkAsync("spectrum", await File.ReadAllTextAsync(csvPath, Cancel));

        var expected = ExpectedRows(name, csvPath);
        var rows = await ParquetReadback.RowsAsync(client, result.GetProperty("file").GetProperty("key").GetString()!);
        Assert.Equal(expected.Count, result.GetProperty("rows").GetInt64());
        Assert.Equal(expected.Count, rows.Count);
        Assert.Equal(expected[0].Keys, result.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        for (var i = 0; i < expected.Count; i++)
        {
            foreach (var (column, value) in expected[i]) Assert.Equal(value, AsText(rows[i].GetValueOrDefault(column)));
        }
    }

    /// <summary>The suite's expected rows; location_coordinates.json does not match its CSV upstream, so that one is spelled out here from the CSV.</summary>
    static List<Dictionary<string, string?>> ExpectedRows(string name, string csvPath)
    {
        if (name == "location_coordinates")
        {
            var line = File.ReadAllLines(csvPath)[1].Split(',');
            return [new() { ["Contact Phone Number"] = line[0], ["Location Coordinates"] = line[1], ["Cities"] = line[2], ["Counties"] = line[3] }];
        }
        var json = File.ReadAllText(Path.Combine(RepoPaths.TestData, "csv-spectrum", "json", name + ".json"));
        return JsonSerializer.Deserialize<List<Dictionary<string, string?>>>(json)!;
    }

    static string? AsText(object? value) => value switch
    {
        null => null,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    [Fact]
    public async Task Types_are_inferred_per_column_and_values_kept_exactly()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csv = "id,name,zip,price,active,born,seen,rating,empty_text\n"
            + "1,Ann,01234,1.5,true,1990-01-31,2024-01-02T10:00:00,4,\"\"\n"
            + "2,\"Bob, Jr.\",99501,2,FALSE,2000-02-29,2024-01-02 10:00:00.25,,\"\"\n"
            + "-3,,00001,-0.25,false,,2024-12-31T23:59:59Z,5,x\n";
        var result = await client.IngestOkAsync("people", csv);
        Assert.Equal(["BIGINT", "VARCHAR", "VARCHAR", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "BIGINT", "VARCHAR"], result.Types());
        Assert.Equal(3, result.GetProperty("rows").GetInt64());

        var rows = await ParquetReadback.RowsAsync(client, result.GetProperty("file").GetProperty("key").GetString()!);
        Assert.Equal(-3L, rows[2]["id"]);
        Assert.Equal("Bob, Jr.", rows[1]["name"]);
        Assert.Null(rows[2].GetValueOrDefault("name"));                 // unquoted empty: NULL
        Assert.Equal("", rows[0]["empty_text"]);      // quoted empty: the empty string
        Assert.Equal("01234", rows[0]["zip"]);
        Assert.Equal(2.0, rows[1]["price"]);
        Assert.Equal(false, rows[1]["active"]);
        Assert.Null(rows[1].GetValueOrDefault("rating"));
        Assert.Equal(new DateTime(2000, 2, 29), ToDateTime(rows[1]["born"]));
        Assert.Equal(new DateTime(2024, 1, 2, 10, 0, 0, 250), ToDateTime(rows[1]["seen"]));

        // The ingest reports the schema without reading the footer back: it must be what the footer says.
        using var stored = new TempFolder();
        var path = Path.Combine(stored.Path, "stored.parquet");
        await File.WriteAllBytesAsync(path, await client.GetByteArrayAsync("/v1/storage/objects/" + result.GetProperty("file").GetProperty("key").GetString(), Cancel), Cancel);
        var footer = await Lakehouse.Catalog.ParquetFooter.ReadAsync(path, Cancel);
        Assert.Equal(footer.Schema.Select(c => (c.Name, c.Type, c.Nullable)),
            result.GetProperty("schema").EnumerateArray().Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!, c.GetProperty("nullable").GetBoolean())));
    }

    static DateTime ToDateTime(object? value) => value switch
    {
        DateOnly date => date.ToDateTime(TimeOnly.MinValue),
        DateTime time => time,
        DateTimeOffset offset => offset.UtcDateTime,
        _ => throw new InvalidOperationException($"not a date: {value?.GetType()}"),
    };

    [Fact]
    public async Task A_late_value_that_does_not_fit_widens_the_column_and_nothing_is_lost()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csv = new StringBuilder("n,code,x\n");
        for (var i = 0; i < 50_000; i++) csv.Append(CultureInfo.InvariantCulture, $"{i},{i + 1000},{i}\n");
        csv.Append("notanumber,01234,2.5\n");
        var result = await client.IngestOkAsync("late", csv.ToString());
        Assert.Equal(["VARCHAR", "VARCHAR", "DOUBLE"], result.Types());
        var rows = await ParquetReadback.RowsAsync(client, result.GetProperty("file").GetProperty("key").GetString()!);
        Assert.Equal(50_001, rows.Count);
        Assert.Equal("notanumber", rows[^1]["n"]);
        Assert.Equal("01234", rows[^1]["code"]);
        Assert.Equal("1000", rows[0]["code"]);
        Assert.Equal(2.5, rows[^1]["x"]);
    }

    [Fact]
    public async Task A_multi_megabyte_file_with_quoted_newlines_ingests_every_row()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csv = new StringBuilder("id,note,amount\r\n");
        const int rowCount = 60_000;
        for (var i = 0; i < rowCount; i++)
        {
            // ~150 bytes a row, with quotes, commas and line breaks inside quoted notes: records cross the 4 MiB chunk edge.
            csv.Append(CultureInfo.InvariantCulture, $"{i},\"line one of {i}, with \"\"quotes\"\"\nline two {new string('x', i % 197)}\",{i}.5\r\n");
        }
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());
        Assert.True(bytes.Length > 5_000_000);
        var result = await client.IngestOkAsync("notes", csv.ToString());
        Assert.Equal(rowCount, result.GetProperty("rows").GetInt64());
        Assert.Equal(["BIGINT", "VARCHAR", "DOUBLE"], result.Types());
        var rows = await ParquetReadback.RowsAsync(client, result.GetProperty("file").GetProperty("key").GetString()!);
        Assert.Equal(rowCount, rows.Count);
        for (var i = 0; i < rowCount; i += 997)
        {
            Assert.Equal((long)i, rows[i]["id"]);
            Assert.Equal($"line one of {i}, with \"quotes\"\nline two {new string('x', i % 197)}", rows[i]["note"]);
        }
    }

    [Fact]
    public async Task A_fault_far_into_a_multi_megabyte_file_is_a_400_naming_its_line_and_changes_nothing()
    {
        // Past the first 4 MiB chunk: found by the scanning task while the upload is still arriving.
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("big", "id,note\n0,first\n");
        var storage = await client.StorageSnapshotAsync();
        var catalog = await client.CatalogSnapshotAsync();
        var csv = new StringBuilder("id,note\n");
        var line = 1;
        while (csv.Length < 6_000_000) csv.Append(CultureInfo.InvariantCulture, $"{line++},\"note {line}\"\n");
        csv.Append(CultureInfo.InvariantCulture, $"{line},a quote\" inside an unquoted field\n");
        // Megabytes more behind it, so that the fault cancels an upload still arriving.
        for (var i = 1; csv.Length < 14_000_000; i++) csv.Append(CultureInfo.InvariantCulture, $"{line + i},\"tail {i}\"\n");

        await ProblemAssert.IsProblem(await client.IngestAsync("big", csv.ToString(), "?mode=append"), HttpStatusCode.BadRequest, $"line {line + 1}");
        Assert.Equal(storage, await client.StorageSnapshotAsync());
        Assert.Equal(catalog, await client.CatalogSnapshotAsync());
    }

    [Fact]
    public async Task A_file_larger_than_memory_keeps_but_within_one_received_chunk_ingests_every_row()
    {
        // 1-4 MiB: received in one piece and scanned on the receiving thread, then written to disk for DuckDB.
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var csv = new StringBuilder("id,label\n");
        var rowCount = 0;
        while (csv.Length < 2_500_000) csv.Append(CultureInfo.InvariantCulture, $"{rowCount},\"label {rowCount++}, quoted\"\n");
        var result = await client.IngestOkAsync("mid", csv.ToString());
        Assert.Equal(rowCount, result.GetProperty("rows").GetInt64());
        var sums = (await client.SqlOkAsync("SELECT count(*), sum(id), max(label) FROM mid")).GetProperty("rows")[0];
        Assert.Equal(rowCount, sums[0].GetInt64());
        Assert.Equal((long)rowCount * (rowCount - 1) / 2, sums[1].GetInt64());
        Assert.Equal(Enumerable.Range(0, rowCount).Select(i => $"label {i}, quoted").Max(StringComparer.Ordinal), sums[2].GetString());
    }

    [Fact]
    public async Task Bom_crlf_other_delimiters_and_no_header_are_read()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var bom = await client.IngestOkAsync("bom", "\uFEFFa;b\r\n1;x\r\n", "?delimiter=;");
        Assert.Equal("a", bom.GetProperty("schema")[0].GetProperty("name").GetString());
        var tabs = await client.IngestOkAsync("tabs", "1\t2\n3\t4\n", "?delimiter=tab&header=false");
        Assert.Equal(2, tabs.GetProperty("rows").GetInt64());
        Assert.Equal(["column1", "column2"], tabs.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("[4,6]", (await client.SqlOkAsync("SELECT sum(column1), sum(column2) FROM tabs")).GetProperty("rows")[0].GetRawText());
    }

    [Fact]
    public async Task Without_a_delimiter_parameter_semicolon_tab_and_pipe_files_are_recognised()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // A European export: semicolons between fields, commas as decimal marks (so the values stay text).
        var semicolons = await client.IngestOkAsync("eu", "\uFEFFname;price;qty\r\nTee;\"1,50\";3\r\nMug;2,75;1\r\n");
        Assert.Equal(["name", "price", "qty"], semicolons.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["VARCHAR", "VARCHAR", "BIGINT"], semicolons.Types());
        var tabs = await client.IngestOkAsync("tsv", "a\tb\n1\t2\n");
        Assert.Equal(["BIGINT", "BIGINT"], tabs.Types());
        var pipes = await client.IngestOkAsync("psv", "a|b\nx|\"y|z\"\n");
        Assert.Equal(2, pipes.GetProperty("schema").GetArrayLength());
        // A comma CSV stays one whatever its values hold; a one-column file stays one column.
        var commas = await client.IngestOkAsync("csv", "a,b\n\"x;y\",z;w\n");
        Assert.Equal(["a", "b"], commas.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var single = await client.IngestOkAsync("one", "note\nfirst; second\nthird\n");
        Assert.Equal(["note"], single.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        // An explicit delimiter wins.
        var asked = await client.IngestOkAsync("asked", "a;b\n1;2\n", "?delimiter=,");
        Assert.Equal(["a;b"], asked.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("[[\"Mug\",\"2,75\",1],[\"Tee\",\"1,50\",3]]", (await client.SqlOkAsync("SELECT name, price, qty FROM eu ORDER BY name")).GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task Multipart_upload_with_a_file_part_is_accepted()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("ignored"), "comment" },
            { new ByteArrayContent("a,b\n1,2\n3,4\n"u8.ToArray()), "file", "data.csv" },
        };
        var response = await client.PostAsync("/v1/ingest/multi", form, Cancel);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, (await client.JsonAsync("/v1/catalog/datasets/multi")).GetProperty("row_count").GetInt64());
    }

    [Fact]
    public async Task Append_adds_a_file_and_a_version_and_replace_keeps_only_the_new_file()
    {
        // Only the current version kept: no earlier version names the replaced files.
        await using var host = await CreateAsync(new() { ["catalog:keep_versions"] = "1" });
        var client = host.CreateClient();
        var first = await client.IngestOkAsync("sales", "id,amount\n1,10\n2,20\n");
        var second = await client.IngestOkAsync("sales", "id,amount\n3,30\n");
        Assert.Equal(2, second.GetProperty("version").GetInt64());
        var manifest = await client.JsonAsync("/v1/catalog/datasets/sales");
        Assert.Equal(3, manifest.GetProperty("row_count").GetInt64());
        Assert.Equal(2, manifest.GetProperty("files").GetArrayLength());
        Assert.Equal(["BIGINT", "BIGINT"], manifest.Types());

        var replaced = await client.IngestOkAsync("sales", "id,amount,note\n9,1.5,new\n", "?mode=replace");
        Assert.Equal(3, replaced.GetProperty("version").GetInt64());
        manifest = await client.JsonAsync("/v1/catalog/datasets/sales");
        Assert.Equal(1, manifest.GetProperty("row_count").GetInt64());
        Assert.Equal(["BIGINT", "DOUBLE", "VARCHAR"], manifest.Types());
        var files = manifest.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("key").GetString()).ToList();
        Assert.Equal([replaced.GetProperty("file").GetProperty("key").GetString()], files);
        // The replaced files are gone from storage (beside the new one, only its Iceberg metadata).
        var stored = (await client.JsonAsync("/v1/storage/objects?prefix=datasets/sales/")).GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString())
            .Where(key => key!.EndsWith(".parquet", StringComparison.Ordinal)).ToList();
        Assert.Equal(files, stored);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/storage/objects/" + first.GetProperty("file").GetProperty("key").GetString(), Cancel)).StatusCode);
    }

    [Fact]
    public async Task Append_casts_compatible_values_to_the_datasets_types()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("m", "price,code,later\n1.5,A1,\n");
        var appended = await client.IngestOkAsync("m", "price,code,later\n2,007,\n");   // BIGINT → DOUBLE, text kept as text
        Assert.Equal(["DOUBLE", "VARCHAR", "VARCHAR"], appended.Types());
        var rows = await ParquetReadback.RowsAsync(client, appended.GetProperty("file").GetProperty("key").GetString()!);
        Assert.Equal(2.0, rows[0]["price"]);
        Assert.Equal("007", rows[0]["code"]);
    }

    [Theory]
    [InlineData("id,other\n5,6\n", "unexpected columns 'other'")]
    [InlineData("amount,id\n5,6\n", "another order")]
    [InlineData("id,amount\nx,6\n", "column 'id' holds VARCHAR")]
    [InlineData("id,amount\n1,2.5\n", "column 'amount' holds DOUBLE")]
    public async Task Append_that_does_not_match_is_409_listing_differences_and_changes_nothing(string csv, string difference)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("sales", "id,amount\n1,10\n");
        var storage = await client.StorageSnapshotAsync();
        var catalog = await client.CatalogSnapshotAsync();

        await ProblemAssert.IsProblem(await client.IngestAsync("sales", csv), HttpStatusCode.Conflict, difference);
        Assert.Equal(storage, await client.StorageSnapshotAsync());
        Assert.Equal(catalog, await client.CatalogSnapshotAsync());
    }

    [Fact]
    public async Task Empty_and_repeated_header_names_are_renamed_as_duckdb_names_them_and_the_response_says_so()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // An index column with no name, repeats in any case, a trailing comma: what DuckDB's read_csv makes of this very header.
        var result = await client.IngestOkAsync("renamed", "a,,A,a,,b,a_1,\n1,2,3,4,5,6,7,8\n");
        string[] expected = ["a", "column1", "A_1", "a_2", "column4", "b", "a_1_1", "column7"];
        Assert.Equal(expected, result.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var renamed = result.GetProperty("renamed").EnumerateArray().Select(r => (r.GetProperty("position").GetInt32(), r.GetProperty("from").GetString(), r.GetProperty("to").GetString())).ToList();
        Assert.Equal([(1, "", "column1"), (2, "A", "A_1"), (3, "a", "a_2"), (4, "", "column4"), (6, "a_1", "a_1_1"), (7, "", "column7")], renamed);
        var row = (await client.SqlOkAsync("SELECT a, column1, \"A_1\", a_2, a_1_1, column7 FROM renamed")).GetProperty("rows")[0];
        Assert.Equal([1L, 2L, 3L, 4L, 7L, 8L], row.EnumerateArray().Select(v => v.GetInt64()));
        // The same header appends to the same columns; a header without problems renames nothing.
        Assert.Equal(2, (await client.IngestOkAsync("renamed", "a,,A,a,,b,a_1,\n9,9,9,9,9,9,9,9\n")).GetProperty("version").GetInt64());
        Assert.Equal(0, (await client.IngestOkAsync("plain", "x,y\n1,2\n")).GetProperty("renamed").GetArrayLength());
    }

    static MultipartFormDataContent Files(params string[] csvs)
    {
        var form = new MultipartFormDataContent();
        for (var i = 0; i < csvs.Length; i++) form.Add(new StringContent(csvs[i], System.Text.Encoding.UTF8, "text/csv"), "file", $"part{i + 1}.csv");
        return form;
    }

    [Fact]
    public async Task Several_files_in_one_request_become_one_version_all_or_nothing()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("daily", "day,n\n2024-01-01,1\n");
        var response = await client.PostAsync("/v1/ingest/daily", Files("day,n\n2024-01-02,2\n", "day,n\n2024-01-03,3\n2024-01-04,4\n"), Cancel);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(3, result.GetProperty("rows").GetInt64());
        Assert.Equal(2, result.GetProperty("files").GetArrayLength());
        Assert.Equal(2, result.GetProperty("version").GetInt64());
        Assert.Equal(10, (await client.SqlOkAsync("SELECT sum(n) FROM daily")).GetProperty("rows")[0][0].GetInt64());

        var storage = await client.StorageSnapshotAsync();
        var catalog = await client.CatalogSnapshotAsync();
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/ingest/daily", Files("day,n\n2024-01-05,5\n", "day,count\n2024-01-06,6\n"), Cancel), HttpStatusCode.Conflict, "File 2");
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/ingest/daily", Files("day,n\n2024-01-05,5\n", "day,n\n2024-01-06,6,7\n"), Cancel), HttpStatusCode.BadRequest, "File 2: CSV line 2");
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/ingest/fresh", Files("a\n1\n", "b\n2\n"), Cancel), HttpStatusCode.Conflict, "File 2");
        Assert.Equal(storage, await client.StorageSnapshotAsync());
        Assert.Equal(catalog, await client.CatalogSnapshotAsync());
    }

    [Fact]
    public async Task Lines_before_the_header_are_skipped_with_skip_and_lines_are_still_named_as_in_the_file()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        const string report = "Sales report, Q1\n\"exported\" by finance\nid,region\n1,north\n2,south\n";
        await ProblemAssert.IsProblem(await client.IngestAsync("report", report), HttpStatusCode.BadRequest, "line");
        var result = await client.IngestOkAsync("report", report, "?skip=2");
        Assert.Equal(["id", "region"], result.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["north", "south"], (await client.SqlOkAsync("SELECT region FROM report ORDER BY id")).GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()));
        await ProblemAssert.IsProblem(await client.IngestAsync("report", report + "3,east,extra\n", "?skip=2"), HttpStatusCode.BadRequest, "line 6");
        await ProblemAssert.IsProblem(await client.IngestAsync("report", report, "?skip=9"), HttpStatusCode.BadRequest, "skip=9");
        await ProblemAssert.IsProblem(await client.IngestAsync("report", report, "?skip=-1"), HttpStatusCode.BadRequest, "skip must be");
    }

    [Fact]
    public async Task A_quote_inside_an_unquoted_field_is_a_400_naming_line_and_field_unless_quotes_are_literal()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        // A missing separator before a quoted field holding the delimiter: read with the quote as text, the row
        // regains its three fields and is stored shifted.
        var shifted = "id,price,name\n1,12.50,\"Mittens, wool\"\n2,$34.14\"Kids' Sweater Fleece, Hooded\"\n";
        await ProblemAssert.IsProblem(await client.IngestAsync("shop", shifted), HttpStatusCode.BadRequest, "line 3");
        await ProblemAssert.IsProblem(await client.IngestAsync("shop", shifted), HttpStatusCode.BadRequest, "field 2");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/shop", Cancel)).StatusCode);

        // Heights written 5'10": the way out is an explicit option, and the values read back as written.
        var heights = "name,height\nBob,5'10\"\nAna,\"5'2\"\"\"\n";
        await ProblemAssert.IsProblem(await client.IngestAsync("people", heights), HttpStatusCode.BadRequest, "quotes=literal");
        await client.IngestOkAsync("people", heights, "?quotes=literal");
        var rows = (await client.SqlOkAsync("SELECT name, height FROM people ORDER BY name")).GetProperty("rows");
        Assert.Equal(["5'2\"", "5'10\""], rows.EnumerateArray().Select(r => r[1].GetString()));
        await ProblemAssert.IsProblem(await client.IngestAsync("people", heights, "?quotes=lazy"), HttpStatusCode.BadRequest, "quotes must be");
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", "line 3")]
    [InlineData("a,b\n1,2\n3\n", "line 3")]
    [InlineData("a,b\n1,2\n3,\"oops\n4,5\n", "line 3")]
    [InlineData("a,b\n1,\"x\"y\n", "line 2")]
    [InlineData("", "empty")]
    [InlineData("a,b\n", "no data rows")]
    public async Task Malformed_csv_is_400_naming_the_problem_and_changes_nothing(string csv, string detail)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("existing", "a,b\n1,2\n");
        var storage = await client.StorageSnapshotAsync();
        var catalog = await client.CatalogSnapshotAsync();

        await ProblemAssert.IsProblem(await client.IngestAsync("existing", csv), HttpStatusCode.BadRequest, detail);
        await ProblemAssert.IsProblem(await client.IngestAsync("fresh", csv), HttpStatusCode.BadRequest, detail);
        Assert.Equal(storage, await client.StorageSnapshotAsync());
        Assert.Equal(catalog, await client.CatalogSnapshotAsync());
    }

    [Fact]
    public async Task Text_that_is_not_utf8_is_400_naming_the_line_and_changes_nothing()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var storage = await client.StorageSnapshotAsync();
        var latin1 = System.Text.Encoding.Latin1.GetBytes("city,n\nParis,1\nMontr\u00e9al,2\n");
        await ProblemAssert.IsProblem(await client.IngestAsync("cities", latin1), HttpStatusCode.BadRequest, "line 3: byte 0xE9 is not UTF-8");
        Assert.Equal(storage, await client.StorageSnapshotAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/catalog/datasets/cities", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task A_declared_charset_is_read_as_such()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        const string text = "city,note\nMontr\u00e9al,\u201cquoted\u201d \u20ac5\n";
        var windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!.GetBytes(text);
        Assert.Equal(HttpStatusCode.Created, (await client.IngestAsync("raw", windows1252, contentType: "text/csv; charset=windows-1252")).StatusCode);
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(windows1252);
        part.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv; charset=ISO-8859-1"); // a Latin-1 label means Windows-1252, as in browsers
        form.Add(part, "file", "export.csv");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/ingest/multi", form, TestContext.Current.CancellationToken)).StatusCode);

        // Given in the query, for tools that cannot add a parameter to the Content-Type; it wins over the header.
        Assert.Equal(HttpStatusCode.Created, (await client.IngestAsync("query", windows1252, "?charset=windows-1252", contentType: "text/csv")).StatusCode);

        foreach (var dataset in new[] { "raw", "multi", "query" })
        {
            var row = (await client.SqlOkAsync($"SELECT city, note FROM {dataset}")).GetProperty("rows")[0];
            Assert.Equal("Montr\u00e9al", row[0].GetString());
            Assert.Equal("\u201cquoted\u201d \u20ac5", row[1].GetString());
        }
        await ProblemAssert.IsProblem(await client.IngestAsync("odd", windows1252, contentType: "text/csv; charset=klingon"), HttpStatusCode.UnsupportedMediaType, "klingon");
        await ProblemAssert.IsProblem(await client.IngestAsync("odd", windows1252, "?charset=vulcan"), HttpStatusCode.UnsupportedMediaType, "vulcan");
    }

    [Theory]
    [InlineData("/v1/ingest/Bad-Name", "name")]
    [InlineData("/v1/ingest/ok?mode=merge", "mode")]
    [InlineData("/v1/ingest/ok?delimiter=ab", "delimiter")]
    [InlineData("/v1/ingest/ok?header=yes", "header")]
    public async Task Bad_parameters_are_400(string path, string detail)
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        var content = new StringContent("a\n1\n", Encoding.UTF8, "text/csv");
        await ProblemAssert.IsProblem(await client.PostAsync(path, content, Cancel), HttpStatusCode.BadRequest, detail);
        Assert.Empty((await client.JsonAsync("/v1/catalog/datasets")).GetProperty("datasets").EnumerateArray());
    }

    [Fact]
    public async Task Wrong_content_type_is_415_and_a_form_without_file_is_400()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/ingest/x", new StringContent("{}", Encoding.UTF8, "application/json"), Cancel), HttpStatusCode.UnsupportedMediaType, "text/csv");
        using var form = new MultipartFormDataContent { { new StringContent("a\n1\n"), "upload", "x.csv" } };
        await ProblemAssert.IsProblem(await client.PostAsync("/v1/ingest/x", form, Cancel), HttpStatusCode.BadRequest, "'file'");
    }

    [Fact]
    public async Task A_body_over_max_ingest_bytes_is_413_and_changes_nothing()
    {
        await using var host = await CreateAsync(new() { ["ingest:max_ingest_bytes"] = "1000" });
        var client = host.CreateClient();
        var big = "a,b\n" + string.Concat(Enumerable.Repeat("1,2\n", 400));
        await ProblemAssert.IsProblem(await client.IngestAsync("big", big), HttpStatusCode.RequestEntityTooLarge, "max_ingest_bytes");
        // Without a Content-Length the limit trips while the body streams in.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/ingest/big") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblem(await client.SendAsync(request, Cancel), HttpStatusCode.RequestEntityTooLarge, "max_ingest_bytes");
        Assert.Equal("", await client.StorageSnapshotAsync());
    }

    [Fact]
    public async Task Concurrent_appends_to_one_dataset_lose_nothing()
    {
        await using var host = await CreateAsync();
        var client = host.CreateClient();
        await client.IngestOkAsync("events", "id,v\n0,0\n");
        await Task.WhenAll(Enumerable.Range(1, 8).Select(i => client.IngestOkAsync("events", $"id,v\n{i},{i}\n{i},{i}\n")));
        var manifest = await client.JsonAsync("/v1/catalog/datasets/events");
        Assert.Equal(9, manifest.GetProperty("version").GetInt64());
        Assert.Equal(17, manifest.GetProperty("row_count").GetInt64());
        Assert.Equal(9, manifest.GetProperty("files").GetArrayLength());
    }

    [Fact]
    public async Task The_catalog_survives_a_restart()
    {
        using var root = new TempFolder();
        var settings = await SharedSettingsAsync();
        string before;
        await using (var first = await CreateAsync(settings, root.Path))
        {
            var client = first.CreateClient();
            await client.IngestOkAsync("kept", "a,b\n1,x\n");
            await client.IngestOkAsync("kept", "a,b\n2,y\n");
            before = (await client.JsonAsync("/v1/catalog/datasets/kept")).GetRawText();
        }
        await using var second = await CreateAsync(settings, root.Path);
        var again = await second.CreateReadyClientAsync();
        Assert.Equal(before, (await again.JsonAsync("/v1/catalog/datasets/kept")).GetRawText());
    }

    /// <summary>Settings two hosts must share to see the same data (the S3 bucket); empty on the filesystem.</summary>
    protected virtual Task<Dictionary<string, string>> SharedSettingsAsync() => Task.FromResult(new Dictionary<string, string>());
}
