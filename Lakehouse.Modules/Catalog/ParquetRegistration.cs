using Lakehouse.Common;
using Lakehouse.Storage;

namespace Lakehouse.Catalog;

/// <summary>Checks Parquet files another tool put in storage and reads their schema and row counts from the footers.</summary>
internal static class ParquetRegistration
{
    public static async Task<DatasetContent> InspectAsync(IObjectStore store, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) throw ProblemException.BadRequest("files must list at least one Parquet object key.");
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count) throw ProblemException.BadRequest("files lists a key more than once.");
        var files = new List<DataFile>();
        IReadOnlyList<ColumnSchema>? schema = null;
        string? first = null;
        foreach (var key in keys)
        {
            ObjectKeys.Validate(key);
            await using var local = await LocalFile.OpenAsync(store, key, cancellationToken)
                ?? throw ProblemException.BadRequest($"files: object '{key}' does not exist.");
            ParquetSummary summary;
            try
            {
                summary = await ParquetFooter.ReadAsync(local.Path, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw ProblemException.BadRequest($"files: object '{key}' is {e.Message}.");
            }
            if (schema is null)
            {
                (schema, first) = (summary.Schema, key);
            }
            else if (SchemaDifferences(schema, summary.Schema) is { Count: > 0 } differences)
            {
                throw ProblemException.Conflict($"files: '{key}' does not have the schema of '{first}': {string.Join("; ", differences)}.");
            }
            else
            {
                schema = [.. schema.Zip(summary.Schema, (a, b) => a with { Nullable = a.Nullable || b.Nullable })];
            }
            files.Add(new DataFile(key, summary.RowCount, new FileInfo(local.Path).Length));
        }
        return new DatasetContent(schema!, files);
    }

    /// <summary>Human-readable differences in column names, order and types (nullability aside).</summary>
    public static List<string> SchemaDifferences(IReadOnlyList<ColumnSchema> expected, IReadOnlyList<ColumnSchema> actual)
    {
        var differences = new List<string>();
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i] : null;
            var a = i < actual.Count ? actual[i] : null;
            if (e is null) differences.Add($"extra column '{a!.Name}' {a.Type}");
            else if (a is null) differences.Add($"missing column '{e.Name}' {e.Type}");
            else if (e.Name != a.Name) differences.Add($"column {i + 1} is '{a.Name}', expected '{e.Name}'");
            else if (e.Type != a.Type) differences.Add($"column '{e.Name}' is {a.Type}, expected {e.Type}");
        }
        return differences;
    }
}
