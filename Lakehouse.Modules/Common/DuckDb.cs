using DuckDB.NET.Data;

namespace Lakehouse.Common;

/// <summary>Small helpers for building DuckDB SQL around names and paths we do not control.</summary>
public static class DuckDb
{
    /// <summary>A private in-memory database.</summary>
    public static DuckDBConnection OpenInMemory()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        return connection;
    }

    // Our own work on files (CSV → Parquet conversions, footer reads) shares one in-memory database,
    // opened once: opening a database for each ingest was most of a small file's time (a 9 KB CSV:
    // 115 ms at the median against 20 ms for a SELECT 1 round trip). No user SQL ever runs here.
    static readonly Lazy<DuckDBConnection> Scratch = new(OpenInMemory);

    /// <summary>A new connection to the process's scratch database, for work on our own files; dispose it when done.</summary>
    public static DuckDBConnection OpenScratch()
    {
        var connection = Scratch.Value.Duplicate();
        connection.Open();
        return connection;
    }

    /// <summary>A SQL string literal. DuckDB reads SQL text up to a NUL, so a value holding one cannot be quoted: callers refuse such input first.</summary>
    public static string Literal(string value) => "'" + NoNul(value).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted SQL identifier.</summary>
    public static string Identifier(string name) => "\"" + NoNul(name).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    static string NoNul(string text) =>
        text.Contains('\0', StringComparison.Ordinal) ? throw new ArgumentException("SQL text cannot hold a NUL character; refuse the input that carried it.", nameof(text)) : text;

    /// <summary>
    /// The FIELD_IDS option of a Parquet COPY: each column's position from 1, the ids a dataset's
    /// Iceberg schema gives its columns (docs/api.md, Iceberg).
    /// </summary>
    public static string FieldIds(IReadOnlyList<string> columns) =>
        "{" + string.Join(", ", columns.Select((name, i) => $"{Literal(name)}: {i + 1}")) + "}";

    public static async Task ExecuteAsync(this DuckDBConnection connection, string sql, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
