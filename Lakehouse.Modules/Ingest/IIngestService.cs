using Lakehouse.Catalog;

namespace Lakehouse.Ingest;

/// <summary>The ingest module's façade: CSV files become Snappy Parquet files of a dataset, one version for them all.</summary>
public interface IIngestService
{
    /// <summary>
    /// Reads each of <paramref name="csvFiles"/> to its end in turn, validates and types it, stores it as
    /// Parquet under datasets/{dataset}/, and commits them all to the catalog as one version. The files
    /// must share their columns. On any failure nothing has changed.
    /// </summary>
    Task<IngestResult> IngestAsync(string dataset, IAsyncEnumerable<Stream> csvFiles, IngestOptions options, CancellationToken cancellationToken);
}

public enum IngestMode
{
    Append,
    Replace,
}

/// <param name="Delimiter">The field delimiter; null to detect it from the file (comma, semicolon, tab or pipe).</param>
/// <param name="LiteralQuotes">A quote inside an unquoted field is text (?quotes=literal), not a 400.</param>
/// <param name="SkipLines">Lines before the header that are not part of the table (?skip=N).</param>
public sealed record IngestOptions(IngestMode Mode, byte? Delimiter, bool Header, bool LiteralQuotes = false, int SkipLines = 0);

/// <param name="File">The first file (the only one, unless several were sent at once).</param>
public sealed record IngestResult(string Dataset, long Rows, DataFile File, IReadOnlyList<DataFile> Files, IReadOnlyList<ColumnSchema> Schema, long Version, long ElapsedMs,
    IReadOnlyList<ColumnRename> Renamed);

/// <summary>A header name the CSV could not keep as written (empty, or a repeat), and what the column is called instead.</summary>
public sealed record ColumnRename(int Position, string From, string To);
