using DuckDB.NET.Data;
using Lakehouse.Common;

namespace Lakehouse.Catalog;

/// <summary>What a Parquet file's footer says: its columns as DuckDB types, and its row count.</summary>
public sealed record ParquetSummary(IReadOnlyList<ColumnSchema> Schema, long RowCount);

public static class ParquetFooter
{
    /// <summary>Reads the footer of a local Parquet file; InvalidDataException when it is not Parquet.</summary>
    public static async Task<ParquetSummary> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var duck = DuckDb.OpenScratch();
        var file = DuckDb.Literal(path);
        try
        {
            var required = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var row in QueryAsync(duck, $"SELECT name, repetition_type FROM parquet_schema({file})", cancellationToken))
            {
                if (row[1] as string == "REQUIRED") required.Add((string)row[0]!);
            }
            var schema = new List<ColumnSchema>();
            await foreach (var row in QueryAsync(duck, $"DESCRIBE SELECT * FROM read_parquet({file})", cancellationToken))
            {
                var name = (string)row[0]!;
                schema.Add(new ColumnSchema(name, (string)row[1]!, !required.Contains(name)));
            }
            long rows = 0;
            await foreach (var row in QueryAsync(duck, $"SELECT num_rows FROM parquet_file_metadata({file})", cancellationToken))
            {
                rows += Convert.ToInt64(row[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            return new ParquetSummary(schema, rows);
        }
        catch (DuckDBException e)
        {
            throw new InvalidDataException($"not a readable Parquet file ({e.Message.Split('\n')[0]})", e);
        }
    }

    static async IAsyncEnumerable<object?[]> QueryAsync(DuckDBConnection duck, string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            yield return row;
        }
    }
}
