using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Catalog;

internal static class CatalogEndpoints
{
    /// <summary>The feed position after a change, on every answer that changed the catalog: a process that follows the feed waits for it.</summary>
    public const string PositionHeader = "Lakehouse-Catalog-Position";

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/datasets", List).Reads();
        group.MapGet("/datasets/{name}", Get).Reads();
        group.MapGet("/datasets/{name}/versions", Versions).Reads();
        group.MapPut("/datasets/{name}", Register).Writes();
        group.MapDelete("/datasets/{name}", Delete).Writes();
        group.MapPost("/datasets/{name}/commits", Commit).ForModules();
        group.MapPost("/datasets/{name}/compact", Compact).Writes();
        group.MapGet("/changes", CatalogFeedEndpoint.StreamAsync).Reads();
    }

    static Ok<DatasetList> List(ICatalog catalog) =>
        TypedResults.Ok(new DatasetList([.. catalog.List().Select(m => new DatasetSummary(m.Name, m.Version, m.RowCount, m.Files.Count, m.SizeBytes, m.UpdatedAt))]));

    static Ok<DatasetManifest> Get(string name, ICatalog catalog)
    {
        Names.Validate(name, "Dataset");
        return TypedResults.Ok(catalog.Get(name) ?? throw Missing(name));
    }

    /// <summary>The versions still kept, newest (the current one) first: each readable with dataset_at(name, version) and as an Iceberg snapshot.</summary>
    static Ok<VersionList> Versions(string name, ICatalog catalog)
    {
        Names.Validate(name, "Dataset");
        var manifest = catalog.Get(name) ?? throw Missing(name);
        return TypedResults.Ok(new VersionList([.. new[] { manifest.AsVersion() }.Concat(manifest.History ?? [])
            .Select(v => new VersionSummary(v.Version, v.UpdatedAt, v.Operation, v.RowCount, v.Files.Count, v.SizeBytes))]));
    }

    static async Task<Ok<DatasetManifest>> Register(string name, RegisterRequest request, ICatalog catalog, IObjectStore store, CatalogChangeFeed feed, HttpResponse response, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        var content = await ParquetRegistration.InspectAsync(store, name, request.Files ?? [], cancellationToken);
        var manifest = await catalog.UpdateAsync(name, request.ExpectedVersion, _ => content, cancellationToken);
        response.Headers[PositionHeader] = feed.Position;
        return TypedResults.Ok(manifest);
    }

    /// <summary>
    /// A module in another process commits the next version it built (ingest's new files, say):
    /// compare-and-swap on the version, trusting the schema and counts it sends, hence modules only.
    /// </summary>
    static async Task<Ok<DatasetManifest>> Commit(string name, CommitRequest request, ICatalog catalog, CatalogChangeFeed feed, HttpResponse response, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        var content = request.Check();
        var manifest = await catalog.UpdateAsync(name, request.ExpectedVersion, _ => content, cancellationToken);
        response.Headers[PositionHeader] = feed.Position;
        return TypedResults.Ok(manifest);
    }

    /// <summary>Merges the dataset's small files now; the answer is the new manifest, or the current one when there was nothing to merge.</summary>
    static async Task<Ok<DatasetManifest>> Compact(string name, DatasetCompactor compactor, CatalogChangeFeed feed, HttpResponse response, CancellationToken cancellationToken)
    {
        var manifest = await compactor.CompactAsync(name, cancellationToken);
        response.Headers[PositionHeader] = feed.Position;
        return TypedResults.Ok(manifest);
    }

    static async Task<NoContent> Delete(string name, ICatalog catalog, CatalogChangeFeed feed, HttpResponse response, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        if (!await catalog.DeleteAsync(name, cancellationToken)) throw Missing(name);
        response.Headers[PositionHeader] = feed.Position;
        return TypedResults.NoContent();
    }

    static ProblemException Missing(string name) => ProblemException.NotFound($"Dataset '{name}' does not exist.");
}

internal sealed record RegisterRequest(IReadOnlyList<string>? Files, long? ExpectedVersion);

/// <summary>The body of POST /v1/catalog/datasets/{name}/commits: the version it read (0: new), and the whole next content.</summary>
internal sealed record CommitRequest(long? ExpectedVersion, IReadOnlyList<ColumnSchema>? Schema, IReadOnlyList<DataFile>? Files)
{
    public DatasetContent Check()
    {
        if (ExpectedVersion is not { } expected || expected < 0) throw ProblemException.BadRequest("expected_version is required: the version the change was made from, 0 for a new dataset.");
        if (Schema is not { Count: > 0 } schema || schema.Any(c => c is null || string.IsNullOrEmpty(c.Name) || string.IsNullOrEmpty(c.Type)))
        {
            throw ProblemException.BadRequest("schema must list at least one column, each with a name and a type.");
        }
        if (Files is null) throw ProblemException.BadRequest("files is required (it may be empty).");
        for (var i = 0; i < Files.Count; i++)
        {
            var file = Files[i] ?? throw ProblemException.BadRequest($"files[{i}] is null.");
            if ((file.Key is null ? "it is missing" : ObjectKeys.Problem(file.Key)) is { } problem) throw ProblemException.BadRequest($"files[{i}].key is not a valid object key: {problem}.");
            if (ObjectKeys.IsModuleOwned(file.Key!)) throw ProblemException.BadRequest($"files[{i}].key '{file.Key}' is a module's own object, not a data file.");
            if (file.RowCount < 0 || file.SizeBytes < 0) throw ProblemException.BadRequest($"files[{i}]: row_count and size_bytes cannot be negative.");
        }
        return new DatasetContent(schema, Files);
    }
}

internal sealed record VersionList(IReadOnlyList<VersionSummary> Versions);

internal sealed record VersionSummary(long Version, DateTimeOffset UpdatedAt, string Operation, long RowCount, int FileCount, long SizeBytes);

internal sealed record DatasetList(IReadOnlyList<DatasetSummary> Datasets);

internal sealed record DatasetSummary(string Name, long Version, long RowCount, int FileCount, long SizeBytes, DateTimeOffset UpdatedAt);
