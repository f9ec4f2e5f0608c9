using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Catalog;

internal static class CatalogEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/datasets", List).Reads();
        group.MapGet("/datasets/{name}", Get).Reads();
        group.MapPut("/datasets/{name}", Register).Writes();
        group.MapDelete("/datasets/{name}", Delete).Writes();
    }

    static Ok<DatasetList> List(ICatalog catalog) =>
        TypedResults.Ok(new DatasetList([.. catalog.List().Select(m => new DatasetSummary(m.Name, m.Version, m.RowCount, m.Files.Count, m.SizeBytes, m.UpdatedAt))]));

    static Ok<DatasetManifest> Get(string name, ICatalog catalog)
    {
        Names.Validate(name, "Dataset");
        return TypedResults.Ok(catalog.Get(name) ?? throw Missing(name));
    }

    static async Task<Ok<DatasetManifest>> Register(string name, RegisterRequest request, ICatalog catalog, IObjectStore store, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        var content = await ParquetRegistration.InspectAsync(store, name, request.Files ?? [], cancellationToken);
        return TypedResults.Ok(await catalog.UpdateAsync(name, request.ExpectedVersion, _ => content, cancellationToken));
    }

    static async Task<NoContent> Delete(string name, ICatalog catalog, CancellationToken cancellationToken)
    {
        Names.Validate(name, "Dataset");
        return await catalog.DeleteAsync(name, cancellationToken) ? TypedResults.NoContent() : throw Missing(name);
    }

    static ProblemException Missing(string name) => ProblemException.NotFound($"Dataset '{name}' does not exist.");
}

internal sealed record RegisterRequest(IReadOnlyList<string>? Files, long? ExpectedVersion);

internal sealed record DatasetList(IReadOnlyList<DatasetSummary> Datasets);

internal sealed record DatasetSummary(string Name, long Version, long RowCount, int FileCount, long SizeBytes, DateTimeOffset UpdatedAt);
