using Lakehouse.Common;
using Lakehouse.Storage;

namespace Lakehouse.Catalog;

/// <summary>Checks Parquet files another tool put in storage and reads their schema and row counts from the footers.</summary>
internal static class ParquetRegistration
{
    public static async Task<DatasetContent> InspectAsync(IObjectStore store, string dataset, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) throw ProblemException.BadRequest("files must list at least one Parquet object key.");
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count) throw ProblemException.BadRequest("files lists a key more than once.");
        var files = new List<DataFile>();
        IReadOnlyList<ColumnSchema>? schema = null;
        string? first = null;
        foreach (var key in keys)
        {
            ObjectKeys.Validate(key);
            if (ObjectKeys.IsModuleOwned(key)) throw ProblemException.BadRequest($"files: '{key}' is a module's own object, not a Parquet file of yours.");
            if (key.StartsWith(DatasetKeys.FilesRoot, StringComparison.Ordinal) && !key.StartsWith(DatasetKeys.FilesPrefix(dataset), StringComparison.Ordinal))
            {
                throw ProblemException.BadRequest($"files: '{key}' is in another dataset's folder; a dataset may name only its own files under {DatasetKeys.FilesRoot}, or files outside it.");
            }
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
            else if (Schemas.Differences(schema, summary.Schema) is { Count: > 0 } differences)
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
}
