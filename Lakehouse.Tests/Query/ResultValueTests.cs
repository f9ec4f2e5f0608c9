using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Query;

/// <summary>
/// Every scalar type through POST /v1/sql checked against DuckDB's own text for the same value (the
/// query selects each value and its ::VARCHAR side by side), over thousands of rows so that chunk and
/// batch edges are crossed; the same values inside lists and structs (written another way) must agree.
/// </summary>
public sealed class ResultValueTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    const int Rows = 5000;

    // name → SQL over i (BIGINT) and h = hash(i) (UBIGINT); every column is NULL on some rows.
    static readonly (string Name, string Sql)[] Scalars =
    [
        ("tiny", "((h % 256)::INTEGER - 128)::TINYINT"),
        ("small", "((h % 65536)::INTEGER - 32768)::SMALLINT"),
        ("int", "((h % 4294967296)::BIGINT - 2147483648)::INTEGER"),
        ("big", "(h >> 1)::BIGINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END)"),
        ("utiny", "(h % 256)::UTINYINT"),
        ("usmall", "(h % 65536)::USMALLINT"),
        ("uint", "(h % 4294967296)::UINTEGER"),
        ("ubig", "h"),
        ("huge", "h::HUGEINT * (hash(i + 1) >> 2)::HUGEINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END)"),
        ("flt", "((h % 2000000)::DOUBLE / 7 - 100000)::FLOAT"),
        ("dbl", "CASE i % 97 WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN '-inf'::DOUBLE ELSE h::DOUBLE / 3e10 * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END"),
        ("dec4", "(((h % 19999)::INTEGER - 9999) / 10)::DECIMAL(4,1)"),
        ("dec9", "(((h % 1999999999)::BIGINT - 999999999) / 1000)::DECIMAL(9,3)"),
        ("dec18", "(((h % 1999999999999999999)::BIGINT - 999999999999999999) / 1000000)::DECIMAL(18,6)"),
        ("bool", "h % 2 = 0"),
        ("str", "CASE i % 6 WHEN 0 THEN '' WHEN 1 THEN 'twelve bytes' WHEN 2 THEN 'thirteen byte' WHEN 3 THEN repeat('long \"quoted\" text, ', (i % 7)::INTEGER) WHEN 4 THEN 'é😀' || chr(10) || chr(1) || '\\' ELSE h::VARCHAR END"),
        ("dt", "DATE '1970-01-01' + ((h % 6000000)::INTEGER - 3000000)"),
        ("ts", "make_timestamp(((h >> 1) % 250000000000000000)::BIGINT - 125000000000000000)"),
        ("ts_s", "make_timestamp(((h >> 1) % 250000000000000000)::BIGINT - 125000000000000000)::TIMESTAMP_S"),
        ("ts_ms", "make_timestamp(((h >> 1) % 250000000000000000)::BIGINT - 125000000000000000)::TIMESTAMP_MS"),
        ("ts_ns", "make_timestamp_ns(((h >> 1) % 8000000000000000000)::BIGINT - 4000000000000000000)"),
    ];

    static string Generated(IEnumerable<(string Name, string Sql)> columns, int rows) =>
        $"WITH g AS (SELECT range AS i, hash(range) AS h FROM range({rows})) SELECT i, "
        + string.Join(", ", columns.Select((c, k) => $"CASE WHEN (i + {k}) % 13 = 0 THEN NULL ELSE {c.Sql} END AS {c.Name}"))
        + " FROM g";

    /// <summary>An NDJSON result as one JSON array of its lines.</summary>
    static async Task<JsonElement> NdjsonAsync(HttpClient client, string sql)
    {
        var response = await client.SqlAsync(sql, accept: "application/x-ndjson");
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.SerializeToElement(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList());
    }

    [Fact]
    public async Task Every_scalar_type_matches_duckdbs_own_text()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var sql = $"SELECT {string.Join(", ", Scalars.Select(c => $"{c.Name}, {c.Name}::VARCHAR AS {c.Name}_text"))} FROM ({Generated(Scalars, Rows)}) ORDER BY i";

        var json = await client.SqlOkAsync(sql);
        var ndjson = await NdjsonAsync(client, sql);
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(Rows, rows.Count);
        Assert.Equal(Rows, ndjson.GetArrayLength());
        var nulls = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < Scalars.Length; c++)
            {
                var value = rows[r][2 * c];
                var text = rows[r][(2 * c) + 1];
                Assert.True(JsonElement.DeepEquals(value, ndjson[r].GetProperty(Scalars[c].Name)), $"row {r}, column {Scalars[c].Name}: NDJSON differs");
                if (text.ValueKind == JsonValueKind.Null)
                {
                    Assert.Equal(JsonValueKind.Null, value.ValueKind);
                    nulls++;
                    continue;
                }
                AssertSameValue(Scalars[c].Name, value, text.GetString()!, $"row {r}, column {Scalars[c].Name}");
            }
        }
        Assert.InRange(nulls, Rows * Scalars.Length / 14, Rows * Scalars.Length / 12);
    }

    /// <summary>A JSON value against DuckDB's text for it.</summary>
    static void AssertSameValue(string column, JsonElement value, string text, string where)
    {
        switch (column)
        {
            case "flt" or "dbl":
                if (text is "nan" or "inf" or "-inf")
                {
                    Assert.Equal(text switch { "nan" => "NaN", "inf" => "Infinity", _ => "-Infinity" }, value.GetString());
                }
                else if (column == "flt")
                {
                    Assert.True(float.Parse(text, CultureInfo.InvariantCulture) == float.Parse(value.GetRawText(), CultureInfo.InvariantCulture), $"{where}: {value} vs {text}");
                }
                else
                {
                    Assert.True(double.Parse(text, CultureInfo.InvariantCulture) == value.GetDouble(), $"{where}: {value} vs {text}");
                }
                break;
            case "dec4" or "dec9" or "dec18":
                Assert.True(decimal.Parse(text, CultureInfo.InvariantCulture) == value.GetDecimal(), $"{where}: {value} vs {text}");
                break;
            case "bool":
                Assert.Equal(text, value.GetRawText());
                break;
            case "str":
                Assert.Equal(text, value.GetString());
                break;
            case "dt" or "ts" or "ts_s" or "ts_ms" or "ts_ns":
                Assert.True(Iso(text) == value.GetString(), $"{where}: {value} vs DuckDB's {text}");
                break;
            default:
                // Integers of every width, HUGEINT included, as exact JSON numbers.
                Assert.True(text == value.GetRawText(), $"{where}: {value} vs {text}");
                break;
        }
    }

    /// <summary>DuckDB's "2024-01-02 03:04:05.5" or "0044-03-15 (BC) 12:00:00" as ISO 8601 ("2024-01-02T03:04:05.5", "-0043-03-15T12:00:00": year 0 is 1 BC).</summary>
    static string Iso(string duckText)
    {
        var bc = duckText.Contains(" (BC)", StringComparison.Ordinal);
        duckText = duckText.Replace(" (BC)", "", StringComparison.Ordinal);
        var dash = duckText.IndexOf('-', 1);
        var year = long.Parse(duckText[..dash], CultureInfo.InvariantCulture);
        var rest = duckText[dash..].Replace(' ', 'T');
        if (bc) year = 1 - year;
        return (year < 0 ? "-" : "") + Math.Abs(year).ToString("0000", CultureInfo.InvariantCulture) + rest;
    }

    [Fact]
    public async Task Values_inside_lists_and_structs_are_written_as_at_the_top_level()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var columns = Scalars.Append((Name: "tz", Sql: "make_timestamp(((h >> 1) % 2000000000000000)::BIGINT)::TIMESTAMPTZ")).ToList();
        var generated = Generated(columns, Rows);
        var scalar = (await client.SqlOkAsync($"SELECT {string.Join(", ", columns.Select(c => c.Name))} FROM ({generated}) ORDER BY i")).GetProperty("rows");
        // Every value again, inside a one-element list or a one-field struct (written from DuckDB's child vectors).
        var wrapped = string.Join(", ", columns.Select((c, k) => k % 2 == 0 ? $"[{c.Name}]" : $"{{'v': {c.Name}}}"));
        var nested = (await client.SqlOkAsync($"SELECT {wrapped} FROM ({generated}) ORDER BY i")).GetProperty("rows");

        Assert.Equal(Rows, nested.GetArrayLength());
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var inner = c % 2 == 0 ? nested[r][c][0] : nested[r][c].GetProperty("v");
                Assert.True(scalar[r][c].GetRawText() == inner.GetRawText(), $"row {r}, column {columns[c].Name}: {scalar[r][c]} vs {inner}");
            }
        }
        // TIMESTAMP WITH TIME ZONE is UTC, marked Z, the same instant as DuckDB's epoch_us.
        var tz = await client.SqlOkAsync($"SELECT tz, epoch_us(tz) FROM ({generated}) WHERE tz IS NOT NULL ORDER BY i LIMIT 50");
        Assert.All(tz.GetProperty("rows").EnumerateArray(), row => Assert.Equal(
            DateTime.UnixEpoch.AddTicks(row[1].GetInt64() * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.') + "Z",
            row[0].GetString()));
    }

    [Fact]
    public async Task Rows_of_long_strings_arrive_whole_and_in_order_across_partial_batches()
    {
        // 3,000 rows of 20 kB: batches are cut by their text budget in the middle of DuckDB's chunks.
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var result = await client.SqlOkAsync(
            "SELECT i, repeat(chr(65 + (i % 26)::INTEGER), 20000) || i::VARCHAR AS s, DATE '2000-01-01' + i::INTEGER AS d FROM range(3000) t(i) ORDER BY i");
        var rows = result.GetProperty("rows");
        Assert.Equal(3000, rows.GetArrayLength());
        for (var i = 0; i < 3000; i++)
        {
            Assert.Equal(i, rows[i][0].GetInt64());
            Assert.Equal(new string((char)('A' + (i % 26)), 20000) + i.ToString(CultureInfo.InvariantCulture), rows[i][1].GetString());
            Assert.Equal(new DateOnly(2000, 1, 1).AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), rows[i][2].GetString());
        }
    }

    [Fact]
    public async Task Rows_of_long_lists_and_blobs_arrive_whole_and_in_order_across_partial_batches()
    {
        // 3,000 rows of a 2,000-number list (about 14 kB of JSON) and a 4 kB BLOB: rendered values count
        // against the batch's text budget too, so batches are cut in the middle of DuckDB's chunks.
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var result = await client.SqlOkAsync(
            "SELECT i, list_transform(range(2000), x -> x * 3 + i) AS l, repeat(chr(65 + (i % 26)::INTEGER), 4096)::BLOB AS b FROM range(3000) t(i) ORDER BY i");
        var rows = result.GetProperty("rows");
        Assert.Equal(3000, rows.GetArrayLength());
        for (var i = 0; i < 3000; i++)
        {
            Assert.Equal(i, rows[i][0].GetInt64());
            var list = rows[i][1];
            Assert.Equal(2000, list.GetArrayLength());
            Assert.Equal(i, list[0].GetInt64());
            Assert.Equal(1999 * 3 + i, list[1999].GetInt64());
            Assert.Equal(Enumerable.Repeat((byte)('A' + (i % 26)), 4096), Convert.FromBase64String(rows[i][2].GetString()!));
        }
    }

    [Fact]
    public async Task Edge_values_keep_their_meaning()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var row = (await client.SqlOkAsync(
            "SELECT 'infinity'::DATE, '-infinity'::DATE, 'infinity'::TIMESTAMP, '-infinity'::TIMESTAMP, 18446744073709551615::UBIGINT, " +
            "170141183460469231731687303715884105727::HUGEINT, '-9223372036854775808'::BIGINT, '-0.5'::DECIMAL(4,1), " +
            "123456789012345678.9012345678::DECIMAL(38,10), '0002-01-01 (BC)'::DATE, DATE '10000-01-01', -0.000000000000000000000000000000000001::DECIMAL(38,38), " +
            "TIME '13:14:15.25', INTERVAL '14 months 3 days 04:05:06.5', -(INTERVAL 90 SECOND), INTERVAL 0 DAY, 'a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8'::UUID, " +
            "'\\x00\\xFFab'::BLOB, 'sad'::ENUM('happy', 'sad'), MAP {1: 'one', 2: NULL}, [1.5, NULL]::DOUBLE[2], {'a': [{'b': DATE '2024-01-02'}]}, " +
            "[]::INTEGER[], NULL::INTEGER[], 340282366920938463463374607431768211455::UHUGEINT, " +
            "to_months(-2147483648) + to_days(-2147483648) + to_microseconds(-9223372036854775807)")).GetProperty("rows")[0];
        Assert.Equal("infinity", row[0].GetString());
        Assert.Equal("-infinity", row[1].GetString());
        Assert.Equal("infinity", row[2].GetString());
        Assert.Equal("-infinity", row[3].GetString());
        Assert.Equal("18446744073709551615", row[4].GetRawText());
        Assert.Equal("170141183460469231731687303715884105727", row[5].GetRawText());
        Assert.Equal("-9223372036854775808", row[6].GetRawText());
        Assert.Equal(-0.5m, row[7].GetDecimal());
        Assert.Equal("123456789012345678.9012345678", row[8].GetRawText());
        Assert.Equal("-0001-01-01", row[9].GetString());
        Assert.Equal("10000-01-01", row[10].GetString());
        Assert.Equal("-0." + new string('0', 35) + "100", row[11].GetRawText()); // -1e-36 at scale 38, as DuckDB prints it
        Assert.Equal("13:14:15.25", row[12].GetString());
        Assert.Equal("P1Y2M3DT4H5M6.5S", row[13].GetString());
        Assert.Equal("PT-1M-30S", row[14].GetString());
        Assert.Equal("PT0S", row[15].GetString());
        Assert.Equal("a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8", row[16].GetString());
        Assert.Equal([0x00, 0xFF, (byte)'a', (byte)'b'], row[17].GetBytesFromBase64());
        Assert.Equal("sad", row[18].GetString());
        Assert.Equal("{\"1\":\"one\",\"2\":null}", row[19].GetRawText());
        Assert.Equal("[1.5,null]", row[20].GetRawText());
        Assert.Equal("{\"a\":[{\"b\":\"2024-01-02\"}]}", row[21].GetRawText());
        Assert.Equal("[]", row[22].GetRawText());
        Assert.Equal(JsonValueKind.Null, row[23].ValueKind);
        Assert.Equal("340282366920938463463374607431768211455", row[24].GetRawText());
        Assert.Equal("P-178956970Y-8M-2147483648DT-2562047788H-54.775807S", row[25].GetString()); // the longest text a value can take
    }

    [Theory]
    [InlineData("text/csv", "text/csv")]
    [InlineData("text/csv;q=0.5, application/x-ndjson", "application/x-ndjson")]
    [InlineData("application/json, text/csv;q=0.1", "application/json")]
    [InlineData("text/csv;q=0, application/json;q=0.2", "application/json")]
    [InlineData("text/html, */*;q=0.8", "application/json")]
    public async Task The_accept_header_picks_the_format_it_prefers_most(string accept, string mediaType)
    {
        await using var host = new LakehouseFactory();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql = "SELECT 1 AS one" }) };
        request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await host.CreateClient().SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Results_are_gzipped_for_clients_that_ask_and_stored_objects_never_are()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        const string sql = "SELECT range AS n, 'row ' || range AS label FROM range(50000)";
        var plain = await (await client.PostAsJsonAsync("/v1/sql", new { sql }, Cancel)).Content.ReadAsByteArrayAsync(Cancel);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql }) };
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        var compressed = await response.Content.ReadAsByteArrayAsync(Cancel);
        using var unzip = new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress);
        var unzipped = new MemoryStream();
        await unzip.CopyToAsync(unzipped, Cancel);
        Assert.True(compressed.Length < plain.Length / 2, $"{compressed.Length} gzipped vs {plain.Length} plain");
        // Same rows (elapsed_ms may differ between the two runs).
        Assert.Equal(JsonDocument.Parse(plain).RootElement.GetProperty("rows").GetRawText(), JsonDocument.Parse(unzipped.ToArray()).RootElement.GetProperty("rows").GetRawText());

        (await client.PutAsync("/v1/storage/objects/docs/data.json", new StringContent(new string('x', 10_000), Encoding.UTF8, "application/json"), Cancel)).EnsureSuccessStatusCode();
        using var get = new HttpRequestMessage(HttpMethod.Get, "/v1/storage/objects/docs/data.json");
        get.Headers.AcceptEncoding.ParseAdd("gzip");
        using var stored = await client.SendAsync(get, Cancel);
        Assert.Empty(stored.Content.Headers.ContentEncoding);
        Assert.Equal(10_000, (await stored.Content.ReadAsByteArrayAsync(Cancel)).Length);
    }

    [Fact]
    public async Task Csv_carries_rendered_values_as_their_text()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql")
        {
            Content = JsonContent.Create(new { sql = "SELECT 'a1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8'::UUID u, [1, 2] l, {'k': 'v'} s, INTERVAL 1 DAY i, 1.50::DECIMAL(30,2) d, 'x'::ENUM('x') e" }),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var csv = await (await client.SendAsync(request, Cancel)).Content.ReadAsStringAsync(Cancel);
        Assert.Equal("u,l,s,i,d,e\r\na1a2a3a4-b1b2-c1c2-d1d2-d3d4d5d6d7d8,\"[1,2]\",\"{\"\"k\"\":\"\"v\"\"}\",P1D,1.50,x\r\n", csv);
    }

    [Fact]
    public async Task A_type_results_cannot_carry_is_a_400_that_names_the_column()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT 1 AS fine, '101'::BIT AS flags" }, Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "flags");
    }

    [Theory]
    [InlineData("SELECT ?")]
    [InlineData("SELECT $1 + 1")]
    [InlineData("SELECT * FROM range(10) WHERE range > $limit")]
    public async Task Parameters_are_a_400_that_says_to_write_the_values_in(string sql)
    {
        await using var host = new LakehouseFactory();
        var response = await host.CreateClient().PostAsJsonAsync("/v1/sql", new { sql }, Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "parameters");
    }

    [Fact]
    public async Task Column_types_are_named_as_duckdb_names_them()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        string[] values =
        [
            "1::TINYINT", "1::UBIGINT", "1::HUGEINT", "1.5::FLOAT", "1.5::DECIMAL(18,3)", "1.5::DECIMAL(30,2)", "DATE '2024-01-01'",
            "TIMESTAMP '2024-01-01'", "TIMESTAMP '2024-01-01'::TIMESTAMPTZ", "TIMESTAMP '2024-01-01'::TIMESTAMP_NS", "[1, 2]",
            "{'a': 1, 'b': 'x'}", "MAP {'k': 1}", "INTERVAL 1 DAY", "'x'::BLOB", "[[1.5]]",
        ];
        var result = await client.SqlOkAsync($"SELECT {string.Join(", ", values.Select((v, i) => $"{v} AS c{i}, typeof({v}) AS t{i}"))}");
        var columns = result.GetProperty("columns").EnumerateArray().ToList();
        var row = result.GetProperty("rows")[0];
        for (var i = 0; i < values.Length; i++) Assert.Equal(row[(2 * i) + 1].GetString(), columns[2 * i].GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_error_while_rows_are_read_is_a_400_with_duckdbs_message()
    {
        await using var host = new LakehouseFactory();
        var client = host.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/sql", new { sql = "SELECT CASE WHEN range = 500 THEN error('boom at 500') ELSE range END FROM range(1000)" }, Cancel);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "boom at 500");
        var after = await client.SqlOkAsync("SELECT count(*) FROM range(10)");
        Assert.Equal(10, after.GetProperty("rows")[0][0].GetInt64());
    }
}
