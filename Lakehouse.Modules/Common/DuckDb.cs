using DuckDB.NET.Data;

namespace Lakehouse.Common;

/// <summary>Small helpers for building DuckDB SQL around names and paths we do not control.</summary>
public static class DuckDb
{
    /// <summary>A private in-memory database: each ingest or footer read gets its own, so none shares settings or locks.</summary>
    public static DuckDBConnection OpenInMemory()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        return connection;
    }

    /// <summary>A SQL string literal. DuckDB reads SQL text up to a NUL, so a value holding one cannot be quoted: callers refuse such input first.</summary>
    public static string Literal(string value) => "'" + NoNul(value).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted SQL identifier.</summary>
    public static string Identifier(string name) => "\"" + NoNul(name).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    static string NoNul(string text) =>
        text.Contains('\0', StringComparison.Ordinal) ? throw new ArgumentException("SQL text cannot hold a NUL character; refuse the input that carried it.", nameof(text)) : text;

    public static async Task ExecuteAsync(this DuckDBConnection connection, string sql, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
