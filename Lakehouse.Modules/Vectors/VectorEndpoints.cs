using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Vectors;

internal static class VectorEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/indexes", async (CreateIndexRequest request, IVectorService vectors, CancellationToken cancellationToken) =>
        {
            var info = await vectors.CreateAsync(request, cancellationToken);
            return TypedResults.Created($"/v1/vectors/indexes/{info.Name}", info);
        }).Writes();
        group.MapGet("/indexes", (IVectorService vectors) => TypedResults.Ok(new IndexList(vectors.List()))).Reads();
        group.MapGet("/indexes/{name}", (string name, IVectorService vectors) => TypedResults.Ok(vectors.Get(name))).Reads();
        group.MapDelete("/indexes/{name}", async Task<NoContent> (string name, IVectorService vectors, CancellationToken cancellationToken) =>
        {
            await vectors.DeleteAsync(name, cancellationToken);
            return TypedResults.NoContent();
        }).Writes();
        group.MapPost("/indexes/{name}/items", async (string name, UpsertRequest request, IVectorService vectors, CancellationToken cancellationToken) =>
            TypedResults.Ok(await vectors.UpsertAsync(name, request, cancellationToken))).Writes();
        group.MapPost("/indexes/{name}/items:from-sql", async (string name, FromSqlRequest request, IndexFromSql fromSql, CancellationToken cancellationToken) =>
            TypedResults.Ok(await fromSql.RunAsync(name, request, cancellationToken))).Writes();
        group.MapGet("/indexes/{name}/items", (string name, string? filter, string? after, string? limit, IVectorService vectors) =>
            TypedResults.Ok(vectors.ListItems(name, new ItemListRequest(filter, after, limit)))).Reads();
        group.MapGet("/indexes/{name}/items/{id}", (string name, string id, IVectorService vectors) => TypedResults.Ok(vectors.GetItem(name, id))).Reads();
        group.MapDelete("/indexes/{name}/items/{id}", async Task<NoContent> (string name, string id, IVectorService vectors, CancellationToken cancellationToken) =>
        {
            await vectors.DeleteItemAsync(name, id, cancellationToken);
            return TypedResults.NoContent();
        }).Writes();
        group.MapPost("/indexes/{name}/search", (string name, SearchRequest request, IVectorService vectors) => TypedResults.Ok(vectors.Search(name, request))).Reads();
    }
}
