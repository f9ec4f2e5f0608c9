using System.Collections.Concurrent;
using DuckDB.NET.Data;
using Lakehouse.Common;

namespace Lakehouse.Query;

/// <summary>
/// The local Parquet paths of every kept version of every dataset, as SQL reads them: a dataset's view
/// and dataset_at() call <see cref="Function"/> whenever a query is bound, so a new version is readable
/// the moment it is set here, with no DDL. (An append used to create the dataset's view again, create
/// the new version's view and drop the oldest: 2.5–6 ms of a 10 KB ingest's ~20.)
/// </summary>
internal sealed class DatasetFileLists
{
    /// <summary>lakehouse_dataset_files(dataset, version): the version's paths joined by line breaks; NULL version → the current one.</summary>
    public const string Function = "lakehouse_dataset_files";

    readonly ConcurrentDictionary<string, (long Current, IReadOnlyDictionary<long, IReadOnlyList<string>> Versions)> _datasets = new(StringComparer.Ordinal);

    /// <summary>The dataset's current version and the paths of its kept versions (the current one's included).</summary>
    public bool TryGet(string name, out (long Current, IReadOnlyDictionary<long, IReadOnlyList<string>> Versions) dataset) => _datasets.TryGetValue(name, out dataset);

    public void Set(string name, long current, IReadOnlyDictionary<long, IReadOnlyList<string>> versions) => _datasets[name] = (current, versions);

    public void Remove(string name) => _datasets.TryRemove(name, out _);

    /// <summary>Every path some kept version names, for the read-through cache's eviction.</summary>
    public HashSet<string> AllPaths() => _datasets.Values.SelectMany(d => d.Versions.Values.SelectMany(paths => paths)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Registers <see cref="Function"/>. Pure, so DuckDB evaluates it once while binding, which is where
    /// read_parquet needs its file list; a query bound after a change sees the change.
    /// </summary>
    public void Register(DuckDBConnection connection) =>
        connection.RegisterScalarFunction<string, long, string>(Function, (arguments, result, rows) =>
        {
            for (ulong row = 0; row < rows; row++)
            {
                if (!arguments[0].IsValid(row)) throw ProblemException.BadRequest("dataset_at needs a dataset name, not NULL.");
                var version = arguments[1].IsValid(row) ? arguments[1].GetValue<long>(row) : (long?)null;
                result.WriteValue(string.Join('\n', Paths(arguments[0].GetValue<string>(row), version)), row);
            }
        }, new ScalarFunctionOptions { IsPureFunction = true, HandlesNulls = true });

    IReadOnlyList<string> Paths(string name, long? version)
    {
        if (!_datasets.TryGetValue(name, out var dataset)) throw ProblemException.BadRequest($"There is no dataset '{name}'.");
        if (dataset.Versions.TryGetValue(version ?? dataset.Current, out var paths)) return paths;
        throw ProblemException.BadRequest(
            $"Dataset '{name}' has no kept version {version} ({name}@{version}): the kept versions are {string.Join(", ", dataset.Versions.Keys.Order())}.");
    }
}
