using System.Diagnostics;
using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

/// <summary>
/// Merges a dataset's small Parquet files into files of about catalog.compact_target_bytes, as one new
/// version whose rows are the old ones in the same order. Each run of consecutive small files becomes
/// one file (DuckDB reads them in list order and writes in that order), stored before the commit. The
/// commit replaces exactly the runs it read, wherever they now are: appends that landed meanwhile
/// stay, after them; if a run is no longer there (a replace or delete won), nothing changes and the
/// new files are removed. Only the commit takes the dataset's lock; the merge runs beside ingests and
/// queries, on one DuckDB thread of its own.
/// </summary>
internal sealed class DatasetCompactor(ICatalog catalog, IObjectStore store, LakehouseConfig config, ILogger<DatasetCompactor> logger)
{
    readonly long _targetBytes = config.Catalog.CompactTargetBytes;

    /// <summary>Serialises compactions: one at a time per process is enough, and keeps their cost bounded.</summary>
    readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>The runs of consecutive small files worth merging: at least two files each, each at most the target in total.</summary>
    public IReadOnlyList<(int Start, int Count)> Plan(IReadOnlyList<DataFile> files)
    {
        var runs = new List<(int Start, int Count)>();
        var start = -1;
        long bytes = 0;
        void Close(int end)
        {
            if (start >= 0 && end - start >= 2) runs.Add((start, end - start));
            (start, bytes) = (-1, 0);
        }
        for (var i = 0; i < files.Count; i++)
        {
            var small = files[i].SizeBytes < _targetBytes / 2;
            if (!small || (start >= 0 && bytes + files[i].SizeBytes > _targetBytes)) Close(i);
            if (!small) continue;
            if (start < 0) start = i;
            bytes += files[i].SizeBytes;
        }
        Close(files.Count);
        return runs;
    }

    /// <summary>How many files <see cref="Plan"/> would merge away.</summary>
    public int Mergeable(IReadOnlyList<DataFile> files) => Plan(files).Sum(run => run.Count - 1);

    /// <summary>Compacts <paramref name="name"/> and returns its manifest (the current one when there was nothing to merge).</summary>
    public async Task<DatasetManifest> CompactAsync(string name, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        await _one.WaitAsync(cancellationToken);
        try
        {
            return await CompactOnceAsync(name, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    async Task<DatasetManifest> CompactOnceAsync(string name, CancellationToken cancellationToken)
    {
        var manifest = catalog.Get(name) ?? throw ProblemException.NotFound($"Dataset '{name}' does not exist.");
        var runs = Plan(manifest.Files);
        if (runs.Count == 0) return manifest;
        var clock = Stopwatch.StartNew();
        var work = ScratchFiles.NewFolder("compact");
        var merged = new List<(IReadOnlyList<DataFile> Inputs, DataFile Output)>();
        var committing = false;
        try
        {
            foreach (var (start, count) in runs)
            {
                var inputs = manifest.Files.Skip(start).Take(count).ToList();
                merged.Add((inputs, await MergeAsync(name, manifest.Schema, inputs, work, cancellationToken)));
            }
            committing = true;
            var next = await catalog.UpdateAsync(name, null, current => Replace(name, current, merged), cancellationToken);
            logger.LogInformation("Compacted {Dataset} v{Version}: {Inputs} files into {Outputs} in {Elapsed} ms",
                name, next.Version, merged.Sum(m => m.Inputs.Count), merged.Count, clock.ElapsedMilliseconds);
            return next;
        }
        catch (Exception e)
        {
            // No manifest names a merged file unless the commit landed; when its outcome is unknown (a
            // 5xx), the orphan sweep removes the files later should none name them.
            if (!committing || e is ProblemException { Status: < 500 })
            {
                foreach (var (_, output) in merged) await store.DeleteAsync(output.Key, CancellationToken.None);
            }
            throw;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The current files with each merged run swapped for its file; a run that is gone means the dataset moved on: 409, nothing changes.</summary>
    static DatasetContent Replace(string name, DatasetManifest? current, IReadOnlyList<(IReadOnlyList<DataFile> Inputs, DataFile Output)> merged)
    {
        if (current is null) throw ProblemException.Conflict($"Dataset '{name}' was deleted while it was being compacted; nothing was changed.");
        var files = current.Files.ToList();
        foreach (var (inputs, output) in merged)
        {
            var at = files.FindIndex(f => f.Key == inputs[0].Key);
            if (at < 0 || at + inputs.Count > files.Count || !inputs.Select(f => f.Key).SequenceEqual(files.Skip(at).Take(inputs.Count).Select(f => f.Key)))
            {
                throw ProblemException.Conflict($"Dataset '{name}' was replaced while it was being compacted; nothing was changed.");
            }
            files.RemoveRange(at, inputs.Count);
            files.Insert(at, output);
        }
        return new DatasetContent(current.Schema, files, Replaces: true);
    }

    /// <summary>One run of files → one stored Parquet file with the same rows in the same order.</summary>
    async Task<DataFile> MergeAsync(string name, IReadOnlyList<ColumnSchema> schema, IReadOnlyList<DataFile> inputs, string work, CancellationToken cancellationToken)
    {
        var locals = new List<LocalFile>();
        try
        {
            foreach (var input in inputs)
            {
                locals.Add(await LocalFile.OpenAsync(store, input.Key, cancellationToken)
                    ?? throw ProblemException.Conflict($"Dataset '{name}' file '{input.Key}' is gone; it was changed while being compacted."));
            }
            var output = Path.Combine(work, $"{Ulid.New()}.parquet");
            // A database of its own on one thread: compaction is background work and must leave the
            // cores to ingests and queries. Insertion order is kept (DuckDB's default): file by file, row by row.
            await using (var duck = DuckDb.OpenInMemory())
            {
                await duck.ExecuteAsync("SET threads = 1; SET preserve_insertion_order = true", cancellationToken);
                var list = string.Join(", ", locals.Select(l => DuckDb.Literal(l.Path)));
                var fieldIds = DuckDb.FieldIds([.. schema.Select(c => c.Name)]);
                await duck.ExecuteAsync($"COPY (SELECT * FROM read_parquet([{list}])) TO {DuckDb.Literal(output)} (FORMAT parquet, COMPRESSION snappy, FIELD_IDS {fieldIds})", cancellationToken);
            }
            var summary = await ParquetFooter.ReadAsync(output, cancellationToken);
            var expected = inputs.Sum(f => f.RowCount);
            if (summary.RowCount != expected)
            {
                throw new InvalidOperationException($"Compacting {name}: the merged file holds {summary.RowCount} rows, its inputs {expected}; it was not stored.");
            }
            var key = $"{DatasetKeys.FilesPrefix(name)}{Path.GetFileName(output)}";
            var info = await store.PutFileAsync(key, output, cancellationToken);
            return new DataFile(key, summary.RowCount, info.Size);
        }
        finally
        {
            foreach (var local in locals) await local.DisposeAsync();
        }
    }
}
