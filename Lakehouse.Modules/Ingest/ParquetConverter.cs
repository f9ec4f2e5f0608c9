using System.Globalization;
using DuckDB.NET.Data;
using Lakehouse.Common;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Ingest;

/// <summary>
/// CSV → Snappy Parquet with DuckDB's parallel reader and writer, the dialect pinned (docs/dependencies.md:
/// auto-detection silently misreads malformed files) and every column's type given, so DuckDB never
/// guesses. Our scanner's types are a strict subset of what DuckDB parses; should DuckDB still
/// refuse a value, that column is read as VARCHAR and the file converted again: an ingest never fails
/// on a late value and never loses one.
/// </summary>
internal sealed class ParquetConverter(LakehouseConfig config, ILogger<ParquetConverter> logger)
{
    // DuckDB's default (122,880 rows) held ~0.8 GB for the 500k-row bench file while keeping rows in
    // order; 30,000 held ~0.45 GB, ran ~20% faster, and made the file ~5% larger (Lakehouse.Bench ingest).
    public const int RowGroupSize = 30_000;

    // DuckDB's default max_line_size; raising it grows every reader thread's buffers (32 MiB cost
    // ~370 MB of RSS on the bench file), so it is raised only as far as this file's longest record needs.
    const int DefaultMaxLineBytes = 2 * 1024 * 1024;

    /// <summary>Writes the Parquet file; returns the types it was written with (a column DuckDB refused is VARCHAR) and the rows DuckDB wrote, when known.</summary>
    public async Task<(IReadOnlyList<string> Types, long? Rows)> ConvertAsync(string csvPath, string parquetPath, CsvShape shape, IReadOnlyList<string> types,
        IngestOptions options, CancellationToken cancellationToken)
    {
        if (options.SkipLines > 0) BlankSkippedLines(csvPath, shape.SkippedBytes);
        var names = shape.Names;
        var maxLineBytes = Math.Max(DefaultMaxLineBytes, shape.LongestRecordBytes + 1024);
        var current = types.ToArray();
        while (true)
        {
            try
            {
                await using var duck = DuckDb.OpenScratch();
                if (config.Ingest.Threads > 0) await duck.ExecuteAsync($"SET threads = {config.Ingest.Threads}", cancellationToken);
                if (config.Ingest.MemoryLimit.Length > 0) await duck.ExecuteAsync($"SET memory_limit = {DuckDb.Literal(config.Ingest.MemoryLimit)}", cancellationToken);
                await using var copy = duck.CreateCommand();
                copy.CommandText = CopySql(csvPath, parquetPath, shape, current, options, maxLineBytes);
                // For a COPY, DuckDB's count of changed rows is the number of rows it wrote; DuckDB.NET
                // hands it over as an int, so past int.MaxValue rows it is not known here.
                var rows = await copy.ExecuteNonQueryAsync(cancellationToken);
                return (current, shape.Rows < int.MaxValue ? rows : null);
            }
            catch (DuckDBException e) when (e.Message.StartsWith("Conversion Error", StringComparison.Ordinal) && Widen(current, names, e.Message))
            {
                logger.LogWarning("DuckDB refused a value our inference accepted; reading a column as VARCHAR and converting again: {Error}", e.Message);
                File.Delete(parquetPath);
            }
            catch (DuckDBException e) when (e.Message.StartsWith("Invalid Input Error", StringComparison.Ordinal))
            {
                // The scanner passed it but DuckDB's reader did not: still the file's fault, and DuckDB names the line.
                throw ProblemException.BadRequest($"The CSV could not be read: {e.Message.Split('\n')[0]}");
            }
        }
    }

    /// <summary>
    /// DuckDB's skip parses the lines it skips as CSV, so a quote in a title line swallowed the table
    /// (0 rows, no error); ours skips raw lines. Blanking the skipped lines (spaces, line breaks kept)
    /// makes both skip the same lines.
    /// </summary>
    static void BlankSkippedLines(string csvPath, (int From, int To) skipped)
    {
        using var file = new FileStream(csvPath, FileMode.Open, FileAccess.ReadWrite);
        var bytes = new byte[skipped.To - skipped.From];
        file.Position = skipped.From;
        file.ReadExactly(bytes);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is not ((byte)'\n' or (byte)'\r')) bytes[i] = (byte)' ';
        }
        file.Position = skipped.From;
        file.Write(bytes);
    }

    /// <summary>Makes the column the error names VARCHAR (or, if none is named, every typed column); false when nothing is left to widen.</summary>
    static bool Widen(string[] types, IReadOnlyList<string> names, string error)
    {
        var named = Enumerable.Range(0, names.Count).Where(i => types[i] != "VARCHAR" && error.Contains($"\"{names[i]}\"", StringComparison.Ordinal)).ToList();
        var targets = named.Count > 0 ? named : [.. Enumerable.Range(0, names.Count).Where(i => types[i] != "VARCHAR")];
        foreach (var i in targets) types[i] = "VARCHAR";
        return targets.Count > 0;
    }

    static string CopySql(string csvPath, string parquetPath, CsvShape shape, IReadOnlyList<string> types, IngestOptions options, int maxLineBytes)
    {
        var columns = string.Join(", ", shape.Names.Select((name, i) => $"{DuckDb.Literal(name)}: {DuckDb.Literal(types[i])}"));
        var delimiter = DuckDb.Literal(((char)shape.Delimiter).ToString());
        var maxLine = maxLineBytes.ToString(CultureInfo.InvariantCulture);
        return $$"""
            COPY (SELECT * FROM read_csv({{DuckDb.Literal(csvPath)}}, auto_detect = false, delim = {{delimiter}}, quote = '"', escape = '"',
                header = {{(options.Header ? "true" : "false")}}, skip = {{options.SkipLines}}, strict_mode = true, allow_quoted_nulls = false,
                max_line_size = {{maxLine}}, columns = { {{columns}} }))
            TO {{DuckDb.Literal(parquetPath)}} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {{RowGroupSize}}, FIELD_IDS {{DuckDb.FieldIds(shape.Names)}})
            """;
    }
}
