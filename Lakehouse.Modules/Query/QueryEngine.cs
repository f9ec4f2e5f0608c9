using System.Collections.Concurrent;
using DuckDB.NET.Data;
using Lakehouse.Common;
using Lakehouse.Vectors;

namespace Lakehouse.Query;

/// <summary>
/// The one in-process DuckDB database user SQL runs in: locked down at start (only the data and
/// cache folders readable, no extension installs or loads, configuration frozen), one view per
/// dataset and dataset_at() for its kept versions, both reading <see cref="DatasetFileLists"/>, and a
/// pool of connections so that queries run concurrently.
/// </summary>
internal sealed class QueryEngine : IDisposable
{
    /// <summary>Queries that run at once; more wait their turn (all share DuckDB's threads anyway).</summary>
    public const int Connections = 16;

    /// <summary>
    /// How far a streaming result may run ahead of its reader. DuckDB counts only a chunk's fixed-size
    /// part against it (16 bytes per string), so its default (976 KiB, ~40 chunks) let a result of
    /// 100 kB strings buffer all of its 2 GB; this much keeps about one chunk ahead.
    /// </summary>
    const string StreamingBuffer = "1KB";

    readonly DuckDBConnection _primary;
    readonly ConcurrentBag<DuckDBConnection> _idle = [];
    readonly SemaphoreSlim _free = new(Connections, Connections);
    readonly Lock _ddl = new();

    /// <param name="vectors">The vectors module when this process hosts it: SQL then has vector_search.</param>
    public QueryEngine(LakehouseConfig config, IReadOnlyList<string> readableFolders, DatasetFileLists datasets, IVectorService? vectors)
    {
        // Each engine gets a private in-memory database (":memory:?cache=shared" would be one per process).
        _primary = DuckDb.OpenInMemory();
        Execute(_primary, "SET preserve_insertion_order = true");
        if (config.Query.Threads > 0) Execute(_primary, $"SET threads = {config.Query.Threads}");
        if (config.Query.MemoryLimit.Length > 0) Execute(_primary, $"SET memory_limit = {DuckDb.Literal(config.Query.MemoryLimit)}");
        // Past the memory limit DuckDB spills to ".tmp" in the working directory (which may be the
        // user's checkout) and lets queries read there; a folder of the process's own under the temp dir instead.
        Execute(_primary, $"SET temp_directory = {DuckDb.Literal(Path.Combine(Path.GetTempPath(), "lakehouse-duckdb-spill", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))}");
        // docs/dependencies.md: this order, on the database the queries use.
        var folders = string.Join(", ", readableFolders.Select(f => DuckDb.Literal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(f)) + "/")));
        Execute(_primary, $"SET allowed_directories = [{folders}]");
        Execute(_primary, "SET autoinstall_known_extensions = false");
        Execute(_primary, "SET autoload_known_extensions = false");
        Execute(_primary, "SET enable_external_access = false");
        // The buffer is a per-connection setting and the lock freezes every setting, so the query
        // connections are all made now.
        for (var i = 0; i < Connections; i++)
        {
            var connection = _primary.Duplicate();
            connection.Open();
            Execute(connection, $"SET streaming_buffer_size = '{StreamingBuffer}'");
            _idle.Add(connection);
        }
        Execute(_primary, "SET lock_configuration = true");
        datasets.Register(_primary);
        // dataset_at('name', 3) reads a kept version (docs/api.md, time travel).
        Execute(_primary, $"""
            CREATE MACRO dataset_at(dataset, version) AS TABLE
            SELECT * FROM read_parquet(string_split({DatasetFileLists.Function}(dataset, version), chr(10)))
            """);
        if (vectors is not null) VectorSearchSql.Register(_primary, vectors);
        HasVectorSearch = vectors is not null;
    }

    /// <summary>Whether SQL has vector_search (this process hosts the vectors module too).</summary>
    public bool HasVectorSearch { get; }

    /// <summary>
    /// Creates view <paramref name="name"/> over the dataset's current files as <see cref="DatasetFileLists"/>
    /// has them whenever a query is bound. DuckDB binds a view anew for each query, its columns and their
    /// types included (docs/dependencies.md), so a dataset needs its view made once.
    /// </summary>
    public void SetView(string name)
    {
        lock (_ddl)
        {
            Execute(_primary, $"CREATE OR REPLACE VIEW {DuckDb.Identifier(name)} AS SELECT * FROM read_parquet(string_split({DatasetFileLists.Function}({DuckDb.Literal(name)}, CAST(NULL AS BIGINT)), chr(10)))");
        }
    }

    public void DropView(string name)
    {
        lock (_ddl) Execute(_primary, $"DROP VIEW IF EXISTS {DuckDb.Identifier(name)}");
    }

    /// <summary>A connection to the shared database for one query, when one is free; give it back with <see cref="Return"/>.</summary>
    public async Task<DuckDBConnection> RentAsync(CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken);
        _idle.TryTake(out var connection);
        return connection!;
    }

    public void Return(DuckDBConnection connection)
    {
        _idle.Add(connection);
        _free.Release();
    }

    static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var connection)) connection.Dispose();
        _free.Dispose();
        _primary.Dispose();
    }
}
