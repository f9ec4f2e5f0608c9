using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Lakehouse.Common;
using Lakehouse.Ingest;
using Lakehouse.Ingest.Parquet;
using Lakehouse.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lakehouse.Tests.Ingest;

/// <summary>
/// Our small-file Parquet writer against DuckDB's COPY, the converter it stands in for: the same CSV
/// through both must give the same columns, types, field ids, values in the same order, and
/// statistics, as DuckDB reads them back.
/// </summary>
public sealed class SmallParquetWriterTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> EdgeFiles => new()
    {
        { "numbers", "i,d,neg\n0,0.5,-0\n9223372036854775807,-1.5e-7,-9223372036854775808\n,,\n-42,6.02e23,1\n1,1E+3,-0\n" },
        { "doubles from integers", "d\n1\n-0\n2.5\n9007199254740993\n" },
        { "zeros", "d\n0.0\n-0.0\n" },
        { "booleans", "b,c\ntrue,FALSE\nFalse,\n,TRUE\nTRUE,true\n" },
        { "dates", "day\n2024-02-29\n1969-12-31\n0001-01-01\n9999-12-31\n\n1970-01-01\n" },
        { "timestamps", "t\n2024-01-02T03:04:05\n2024-01-02 03:04\n2024-01-02T03:04:05.123456Z\n1900-03-01 00:00:00.5\n\n2024-01-02 23:59:59.000001\n" },
        { "text", "s,q\nplain,\"with \"\"quotes\"\" inside\"\n,\"\"\n\"a,b\",\"line\nbreak\"\nünïcödé ✓,\"\"\"\"\"\"\n" },
        { "long text", "s\n" + new string('x', 200) + "\n" + new string('a', 65) + "\nshort\n" },
        { "all null", "a,b\n,\n,\n" },
        { "blank lines", "a,b\n1,x\n\n2,y\n\n" },
        { "empty last field", "a,b\n1,x\n2," },
        { "crlf and bom", "\uFEFFa,b\r\n1,x\r\n2,y\r\n" },
        { "one column with blanks", "a\n1\n\n3\n" },
    };

    [Theory]
    [MemberData(nameof(EdgeFiles))]
    public async Task Edge_files_read_back_as_DuckDBs_own_conversion_does(string name, string csv)
    {
        using var folder = new TempFolder();
        await AssertSameAsDuckDbAsync(folder.Path, name, csv, header: true);
    }

    [Fact]
    public async Task A_file_without_a_header_reads_back_as_DuckDBs_conversion_does()
    {
        using var folder = new TempFolder();
        await AssertSameAsDuckDbAsync(folder.Path, "no header", "1,a,2024-01-01\n2,,2024-01-02\n", header: false);
    }

    /// <summary>Random files of every inferred type, NULLs and quoting included, a few hundred rows each.</summary>
    [Fact]
    public async Task Random_files_of_every_type_read_back_as_DuckDBs_conversion_does()
    {
        using var folder = new TempFolder();
        var typesSeen = new HashSet<string>();
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var generators = Enumerable.Range(0, random.Next(1, 7)).Select(_ => Generators[random.Next(Generators.Length)]).ToList();
            var csv = new StringBuilder(string.Join(",", generators.Select((_, i) => $"c{i}"))).Append('\n');
            for (var row = random.Next(1, 400); row > 0; row--)
            {
                csv.AppendJoin(',', generators.Select(generate => random.Next(10) == 0 ? "" : generate(random))).Append('\n');
            }
            typesSeen.UnionWith(await AssertSameAsDuckDbAsync(folder.Path, $"seed {seed}", csv.ToString(), header: true));
        }
        Assert.Equal(["BIGINT", "BOOLEAN", "DATE", "DOUBLE", "TIMESTAMP", "VARCHAR"], typesSeen.Order());
    }

    [Fact]
    public void A_file_past_the_limits_keeps_no_values_and_goes_the_DuckDB_way()
    {
        foreach (var (values, csv) in new[] { (new CsvValues(100, 1000), "a,b\n" + string.Concat(Enumerable.Repeat("12345,abcdef\n", 20))), (new CsvValues(1000, 3), "a\n1\n2\n3\n4\n") })
        {
            var scanner = new CsvScanner((byte)',', header: true, values: values);
            scanner.Feed(Encoding.UTF8.GetBytes(csv));
            Assert.True(scanner.Finish().Rows > 3);
            Assert.False(values.Complete);
            Assert.Empty(values.Columns);
        }
    }

    static readonly Func<Random, string>[] Generators =
    [
        r => r.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        r => r.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
        r => (r.NextDouble() * Math.Pow(10, r.Next(-20, 20)) * (r.Next(2) == 0 ? -1 : 1)).ToString("R", CultureInfo.InvariantCulture),
        r => $"{r.Next(-99999, 99999)}.{r.Next(0, 1000):D3}",
        r => r.Next(2) == 0 ? "true" : "False",
        r => new DateOnly(1, 1, 1).AddDays(r.Next(0, 3_652_058)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        r => new DateTime(1, 1, 1).AddTicks(r.NextInt64(0, DateTime.MaxValue.Ticks) / 10 * 10)
            .ToString(r.Next(3) switch { 0 => "yyyy-MM-dd HH:mm:ss.ffffff", 1 => "yyyy-MM-ddTHH:mm:ss", _ => "yyyy-MM-dd HH:mm" }, CultureInfo.InvariantCulture),
        r => r.Next(3) == 0 ? "\"\"" : $"\"{new string((char)r.Next('a', 'z'), r.Next(0, 80))},\"\"{r.Next()}\"\"\"",
        r => $"w{r.Next()}",
    ];

    /// <summary>Writes the CSV both ways and compares them; returns the column types it had.</summary>
    static async Task<IReadOnlyList<string>> AssertSameAsDuckDbAsync(string folder, string name, string csv, bool header)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        var values = new CsvValues(1024 * 1024, 30_000);
        var scanner = new CsvScanner((byte)',', header, values: values);
        scanner.Feed(bytes);
        var shape = scanner.Finish();
        Assert.True(values.Complete, name);
        Assert.Equal(shape.Rows, values.Rows);

        var ours = Path.Combine(folder, "ours.parquet");
        var written = SmallParquetWriter.Write(shape.Names, shape.Types, values);
        Assert.True(written is not null, $"{name}: the writer declined a value the scanner inferred");
        await File.WriteAllBytesAsync(ours, written, Cancel);

        var csvPath = Path.Combine(folder, "in.csv");
        await File.WriteAllBytesAsync(csvPath, bytes, Cancel);
        var theirs = Path.Combine(folder, "duckdb.parquet");
        File.Delete(theirs);
        var converter = new ParquetConverter(new LakehouseConfig(), NullLogger<ParquetConverter>.Instance);
        var (types, _) = await converter.ConvertAsync(csvPath, theirs, shape, shape.Types, new IngestOptions(IngestMode.Append, (byte)',', header, false, 0), Cancel);
        Assert.Equal(shape.Types, types);

        await using var duck = DuckDb.OpenScratch();
        foreach (var query in new[]
        {
            "SELECT name, type, repetition_type, converted_type, field_id, logical_type::VARCHAR FROM parquet_schema({0}) WHERE num_children IS NULL",
            "DESCRIBE SELECT * FROM read_parquet({0})",
            "SELECT * FROM read_parquet({0})",
            "SELECT path_in_schema, stats_null_count FROM parquet_metadata({0})",
        })
        {
            var expected = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, query, DuckDb.Literal(theirs)));
            var actual = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, query, DuckDb.Literal(ours)));
            Assert.True(expected.SequenceEqual(actual), $"{name}: {query}\nDuckDB's COPY:\n{string.Join("\n", expected.Take(20))}\nours:\n{string.Join("\n", actual.Take(20))}\nCSV:\n{csv[..Math.Min(csv.Length, 2000)]}");
        }
        // Min and max as DuckDB's COPY has them, except that we write none for text longer than 64 bytes, where
        // DuckDB writes a cut one, and a zero minimum as -0.0, as Parquet's rule for zeros asks (DuckDB writes 0.0).
        const string Statistics = "SELECT stats_min_value, stats_max_value FROM parquet_metadata({0})";
        var theirStatistics = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, Statistics, DuckDb.Literal(theirs)));
        var ourStatistics = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, Statistics, DuckDb.Literal(ours)));
        for (var c = 0; c < shape.Names.Count; c++)
        {
            var longText = shape.Types[c] == "VARCHAR" && Enumerable.Range(0, values.Rows).Any(row => values.Columns[c][row].Length > 64);
            string ZeroAsZero(string minMax) => shape.Types[c] == "DOUBLE" && minMax.StartsWith("-0.0 |", StringComparison.Ordinal) ? minMax[1..] : minMax;
            var (mine, duckDbs) = (ZeroAsZero(ourStatistics[c]), ZeroAsZero(theirStatistics[c]));
            Assert.True(mine == duckDbs || (longText && mine == "∅ | ∅"),
                $"{name}: column {shape.Names[c]}: min | max {mine}, DuckDB's COPY {duckDbs}");
        }
        return shape.Types;
    }

    static async Task<List<string>> RowsAsync(DuckDBConnection duck, string sql)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Cancel);
        var rows = new List<string>();
        while (await reader.ReadAsync(Cancel))
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }
}
