namespace Lakehouse.Catalog;

/// <summary>
/// The catalog module's façade: named datasets, each a versioned manifest over Parquet files in
/// storage. Every change is a new version, written atomically and serialised per dataset.
/// </summary>
public interface ICatalog
{
    /// <summary>Every dataset, sorted by name.</summary>
    IReadOnlyList<DatasetManifest> List();

    DatasetManifest? Get(string name);

    /// <summary>
    /// Writes the next version of <paramref name="name"/>. <paramref name="change"/> sees the current
    /// manifest (null for a new dataset) and returns the new schema and files; it may throw a
    /// ProblemException to refuse, and then nothing changes. It must depend on its argument alone: a
    /// catalog in another process calls it again when another process committed first. Files the
    /// change drops are deleted when they are under datasets/{name}/ and no manifest names them. A
    /// failure of 500 or more may leave the outcome unknown (storage failed mid-write).
    /// </summary>
    /// <param name="expectedVersion">When given and not the current version (0: must not exist), 409.</param>
    Task<DatasetManifest> UpdateAsync(string name, long? expectedVersion, Func<DatasetManifest?, DatasetContent> change, CancellationToken cancellationToken);

    /// <summary>Removes the dataset and the files under datasets/{name}/ it named that no other manifest names; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Registers <paramref name="handler"/> to run after each change is stored and before the call
    /// that made it returns, so a subscriber (the query module's views) is current when it does.
    /// </summary>
    void OnChanged(Func<DatasetChange, Task> handler);
}

/// <summary>What a change makes of a dataset; the catalog derives versions, totals and timestamps.</summary>
/// <param name="Replaces">The change rewrites the same rows into other files (a compaction): its snapshot is a "replace", not an "overwrite".</param>
public sealed record DatasetContent(IReadOnlyList<ColumnSchema> Schema, IReadOnlyList<DataFile> Files, bool Replaces = false);

/// <summary>A dataset changed: its new manifest, or null when it was deleted.</summary>
public sealed record DatasetChange(string Name, DatasetManifest? Manifest);
