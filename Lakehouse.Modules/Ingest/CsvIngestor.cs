using System.Diagnostics;
using System.Diagnostics.Metrics;
using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Ingest.Parquet;
using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Ingest;

/// <summary>
/// Upload (scanned as it arrives; kept in memory up to 1 MiB, else a temp CSV) → Parquet (a small
/// file by our writer, any other by DuckDB) → storage, for each file of the request in turn → one
/// catalog commit for them all. The Parquet objects are stored before the manifest names them; if
/// anything fails or the commit is refused they are removed, so a failed ingest leaves storage and
/// catalog exactly as they were.
/// </summary>
internal sealed class CsvIngestor(ICatalog catalog, IObjectStore store, ParquetConverter converter, ILogger<CsvIngestor> logger, IMeterFactory meters) : IIngestService
{
    // Up to this many bytes an upload stays in memory and the scan keeps its values for our own Parquet
    // writer: DuckDB's set-up is what a small file's conversion costs, and it stops mattering long
    // before a file is this large.
    const int SmallFileValueBytes = 1024 * 1024;

    readonly Counter<long> _rowsIngested = meters.Create(Telemetry.MeterName).CreateCounter<long>("lakehouse.ingest.rows");
    readonly Counter<long> _bytesIngested = meters.Create(Telemetry.MeterName).CreateCounter<long>("lakehouse.ingest.parquet_bytes", "By");

    public async Task<IngestResult> IngestAsync(string dataset, IAsyncEnumerable<Stream> csvFiles, IngestOptions options, CancellationToken cancellationToken)
    {
        Names.Validate(dataset, "Dataset");
        var clock = Stopwatch.StartNew();
        using var activity = Telemetry.ActivitySource.StartActivity("ingest");
        // Made only when a file needs a copy on disk: a small one is received, scanned and written in memory.
        string? work = null;
        var stored = new List<DataFile>();
        var committing = false;
        try
        {
            CsvShape? first = null;
            ParquetSummary? firstSummary = null;
            var existing = options.Mode == IngestMode.Append ? catalog.Get(dataset) : null;
            await foreach (var csv in csvFiles.WithCancellation(cancellationToken))
            {
                var part = stored.Count + 1;
                var (shape, summary, parquet) = await ConvertAsync(csv, () => Path.Combine(work ??= ScratchFiles.NewFolder("ingest"), $"{part}"), existing, options, part, cancellationToken);
                if (firstSummary is not null && Schemas.Differences(firstSummary.Schema, summary.Schema) is { Count: > 0 } differences)
                {
                    throw ProblemException.Conflict($"File {part} does not have the columns of file 1: {string.Join("; ", differences)}.");
                }
                (first, firstSummary) = (first ?? shape, firstSummary ?? summary);
                var key = $"{DatasetKeys.FilesPrefix(dataset)}{Ulid.New()}.parquet";
                // A small file is stored unflushed: the catalog's manifest write, which names it, puts it on the disk first.
                var info = parquet.Bytes is { } bytes
                    ? await store.PutUnflushedAsync(key, new MemoryStream(bytes, writable: false), cancellationToken)
                    : await store.PutFileAsync(key, parquet.Path!, cancellationToken);
                stored.Add(new DataFile(key, summary.RowCount, info.Size));
            }
            if (first is null || firstSummary is null) throw ProblemException.BadRequest("The request holds no CSV file.");
            if (work is not null && ScratchFiles.TryDelete(work))
            {
                // Gone before the commit: the manifest's flush (a syncfs) would otherwise write the upload's
                // scratch copy to the disk too, 60-70 ms of a 286 MB CSV's ingest. Its unlink drops those pages
                // unwritten. Should it fail, the answer does not: the DeleteLater below tries again.
                work = null;
            }
            var converted = clock.ElapsedMilliseconds;
            committing = true;
            var manifest = await catalog.UpdateAsync(dataset, null, current =>
            {
                // The catalog deletes the files a replace drops once no manifest names them.
                if (current is null || options.Mode == IngestMode.Replace) return new DatasetContent(firstSummary.Schema, stored);
                // Checked again under the dataset's lock: a concurrent replace may have changed the schema.
                if (Schemas.Differences(current.Schema, firstSummary.Schema) is { Count: > 0 } differences)
                {
                    throw ProblemException.Conflict($"The CSV does not match dataset '{dataset}': {string.Join("; ", differences)}.");
                }
                return new DatasetContent(current.Schema, [.. current.Files, .. stored]);
            }, cancellationToken);
            var rows = stored.Sum(f => f.RowCount);
            logger.LogInformation("Ingested {Rows} rows in {Files} file(s) into {Dataset} v{Version} in {Elapsed} ms (receive+scan+convert {Convert} ms, commit {Commit} ms)",
                rows, stored.Count, dataset, manifest.Version, clock.ElapsedMilliseconds, converted, clock.ElapsedMilliseconds - converted);
            _rowsIngested.Add(rows);
            _bytesIngested.Add(stored.Sum(f => f.SizeBytes));
            return new IngestResult(dataset, rows, stored[0], stored, manifest.Schema, manifest.Version, clock.ElapsedMilliseconds, first.Renamed);
        }
        catch (Exception e)
        {
            // Nothing a failed request stored stays behind: no manifest names these files. Unless the
            // commit may have landed (storage or a remote catalog failed mid-way, a 5xx): then a manifest
            // may name them, and the catalog's orphan sweep removes them later if none does.
            if (!committing || e is ProblemException { Status: < 500 })
            {
                // Never one a manifest names: a refusal can follow a commit of ours that did land.
                var named = catalog.Get(dataset)?.Files.Select(f => f.Key).ToHashSet(StringComparer.Ordinal) ?? [];
                foreach (var file in stored.Where(f => !named.Contains(f.Key))) await store.DeleteAsync(file.Key, CancellationToken.None);
            }
            throw;
        }
        finally
        {
            if (work is not null) ScratchFiles.DeleteLater(work, logger);
        }
    }

    /// <summary>A CSV's Parquet form: in memory when our writer wrote it, else a local file DuckDB wrote.</summary>
    readonly record struct ParquetData(byte[]? Bytes, string? Path);

    /// <summary>
    /// One CSV to Parquet: received and scanned at once; a small file's values are kept by the scan and
    /// written by <see cref="SmallParquetWriter"/>, any other converted by DuckDB and its footer read.
    /// </summary>
    async Task<(CsvShape Shape, ParquetSummary Summary, ParquetData Parquet)> ConvertAsync(Stream csv, Func<string> folderPath, DatasetManifest? existing, IngestOptions options,
        int part, CancellationToken cancellationToken)
    {
        string Local(string name) => Path.Combine(Directory.CreateDirectory(folderPath()).FullName, name);
        CsvSpool.Received received;
        var values = new CsvValues(SmallFileValueBytes, ParquetConverter.RowGroupSize);
        try
        {
            received = await CsvSpool.ReceiveAsync(csv, () => Local("upload.csv"), SmallFileValueBytes,
                new CsvScanner(options.Delimiter, options.Header, options.LiteralQuotes, options.SkipLines, values), cancellationToken);
        }
        catch (CsvFormatException e)
        {
            throw ProblemException.BadRequest(part == 1 ? e.Message : $"File {part}: {e.Message}");
        }
        var shape = received.Shape;
        IReadOnlyList<string> readTypes;
        try
        {
            readTypes = ReadTypes(shape, existing);
        }
        catch (ProblemException e) when (part > 1)
        {
            throw new ProblemException(e.Status, e.Title, $"File {part}: {e.Message}", e);
        }
        if (values.Complete && SmallParquetWriter.Writes(readTypes) && SmallParquetWriter.Write(shape.Names, readTypes, values) is { } bytes)
        {
            // As with DuckDB below: the rows written must be the rows the scan counted, or one was lost or made up.
            if (values.Rows != shape.Rows) throw new InvalidOperationException($"The CSV scanner counted {shape.Rows} rows but kept {values.Rows}; the file was not stored.");
            return (shape, AsWritten(shape, readTypes, values.Rows), new ParquetData(bytes, null));
        }
        var csvPath = Local("upload.csv");
        if (received.Bytes is { } kept) await File.WriteAllBytesAsync(csvPath, kept, cancellationToken);
        var parquetPath = Local("data.parquet");
        var (types, written) = await converter.ConvertAsync(csvPath, parquetPath, shape, readTypes, options, cancellationToken);
        // Types that Parquet gives back exactly as written (the ones the scanner infers) need no footer
        // read, which was a sixth of a small file's ingest; any other (an append to a registered file's
        // DECIMAL or HUGEINT column, say) is read back from the footer, as Parquet has it.
        var summary = written is { } rows && types.All(ValueTypes.RoundTripExactly.Contains)
            ? AsWritten(shape, types, rows)
            : await ParquetFooter.ReadAsync(parquetPath, cancellationToken);
        // Our scanner and DuckDB's reader must agree on the rows, or a row was lost or made up between
        // them (DuckDB's skip once swallowed a whole table): never store that.
        if (summary.RowCount != shape.Rows)
        {
            throw new InvalidOperationException($"The CSV scanner counted {shape.Rows} rows but DuckDB wrote {summary.RowCount}; the file was not stored.");
        }
        return (shape, summary, new ParquetData(null, parquetPath));
    }

    /// <summary>The Parquet file's summary without reading its footer: every column OPTIONAL, as DuckDB and our writer write them.</summary>
    static ParquetSummary AsWritten(CsvShape shape, IReadOnlyList<string> types, long rows) =>
        new([.. shape.Names.Select((name, i) => new ColumnSchema(name, types[i], Nullable: true))], rows);

    /// <summary>
    /// The types to read the CSV with: as inferred for a new dataset or a replace; for an append, the
    /// dataset's own types wherever the new values fit them losslessly (all-NULL columns fit
    /// anything, BIGINT fits DOUBLE, anything fits VARCHAR and keeps its text), else 409.
    /// </summary>
    static IReadOnlyList<string> ReadTypes(CsvShape shape, DatasetManifest? existing)
    {
        if (existing is null) return shape.Types;
        var differences = new List<string>();
        var names = shape.Names;
        if (names.Count != existing.Schema.Count || !names.SequenceEqual(existing.Schema.Select(c => c.Name)))
        {
            var missing = existing.Schema.Select(c => c.Name).Except(names).ToList();
            var extra = names.Except(existing.Schema.Select(c => c.Name)).ToList();
            if (missing.Count > 0) differences.Add($"missing columns {string.Join(", ", missing.Select(n => $"'{n}'"))}");
            if (extra.Count > 0) differences.Add($"unexpected columns {string.Join(", ", extra.Select(n => $"'{n}'"))}");
            if (missing.Count == 0 && extra.Count == 0) differences.Add($"columns in another order: [{string.Join(", ", names)}], expected [{string.Join(", ", existing.Schema.Select(c => c.Name))}]");
            throw ProblemException.Conflict($"The CSV's columns do not match dataset '{existing.Name}': {string.Join("; ", differences)}.");
        }
        var types = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            var target = existing.Schema[i].Type;
            var inferred = shape.Types[i];
            var fits = !shape.HasValues[i] || inferred == target || target == "VARCHAR" || (inferred == "BIGINT" && target == "DOUBLE");
            if (!fits) differences.Add($"column '{names[i]}' holds {inferred} values but the dataset's column is {target}");
            types.Add(target);
        }
        if (differences.Count > 0) throw ProblemException.Conflict($"The CSV's types do not match dataset '{existing.Name}': {string.Join("; ", differences)}.");
        return types;
    }
}
