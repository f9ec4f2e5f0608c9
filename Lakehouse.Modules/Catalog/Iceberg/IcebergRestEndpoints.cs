using System.Text.Json.Nodes;
using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Catalog.Iceberg;

/// <summary>
/// The read side of the Iceberg REST catalog protocol (apache/iceberg open-api/rest-catalog-open-api.yaml)
/// under /iceberg: one namespace, "default", holding a table per dataset that has Iceberg metadata.
/// An engine configured with uri = http://host:3110/iceberg finds the tables and loads their
/// metadata; it then reads the data files where they lie. Errors take the protocol's shape
/// ({"error":{"message","type","code"}}), which its clients read, not problem+json.
/// </summary>
internal static class IcebergRestEndpoints
{
    public const string Namespace = "default";

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/v1/config", () => Results.Json(new JsonObject { ["defaults"] = new JsonObject(), ["overrides"] = new JsonObject() })).Reads();
        group.MapGet("/v1/namespaces", () => Results.Json(new JsonObject { ["namespaces"] = new JsonArray(new JsonArray(Namespace)) })).Reads();
        group.MapGet("/v1/namespaces/{ns}", (string ns) => ns == Namespace
            ? Results.Json(new JsonObject { ["namespace"] = new JsonArray(Namespace), ["properties"] = new JsonObject() })
            : NoSuchNamespace(ns)).Reads();
        group.MapMethods("/v1/namespaces/{ns}", [HttpMethods.Head], (string ns) => ns == Namespace ? Results.NoContent() : Results.NotFound()).Reads();
        group.MapGet("/v1/namespaces/{ns}/tables", (string ns, ICatalog catalog) => ns == Namespace
            ? Results.Json(new JsonObject
            {
                ["identifiers"] = new JsonArray([.. catalog.List().Where(m => m.Iceberg is not null)
                    .Select(m => (JsonNode)new JsonObject { ["namespace"] = new JsonArray(Namespace), ["name"] = m.Name })]),
            })
            : NoSuchNamespace(ns)).Reads();
        group.MapGet("/v1/namespaces/{ns}/tables/{table}", LoadTableAsync).Reads();
        group.MapMethods("/v1/namespaces/{ns}/tables/{table}", [HttpMethods.Head], (string ns, string table, ICatalog catalog) =>
            ns == Namespace && Table(catalog, table) is not null ? Results.NoContent() : Results.NotFound()).Reads();
    }

    /// <summary>LoadTableResult: where the current metadata.json is, and its content.</summary>
    static async Task<IResult> LoadTableAsync(string ns, string table, ICatalog catalog, IObjectStore store, IcebergMetadataWriter iceberg, CancellationToken cancellationToken)
    {
        if (ns != Namespace) return NoSuchNamespace(ns);
        if (Table(catalog, table) is not { Iceberg: { } files }) return Error(StatusCodes.Status404NotFound, "NoSuchTableException", $"Table does not exist: {Namespace}.{table}");
        await using var content = await store.GetAsync(files.Metadata, null, cancellationToken)
            ?? throw ProblemException.Unavailable($"The metadata of table {table} is missing from storage; retry once the dataset's change has settled.");
        var metadata = await JsonNode.ParseAsync(content.Stream, cancellationToken: cancellationToken);
        return Results.Json(new JsonObject
        {
            ["metadata-location"] = iceberg.Location(files.Metadata),
            ["metadata"] = metadata,
            ["config"] = new JsonObject(),
        });
    }

    static DatasetManifest? Table(ICatalog catalog, string name) => Names.IsValid(name) ? catalog.Get(name) : null;

    static IResult NoSuchNamespace(string ns) => Error(StatusCodes.Status404NotFound, "NoSuchNamespaceException", $"Namespace does not exist: {ns}");

    /// <summary>The protocol's ErrorModel.</summary>
    public static IResult Error(int status, string type, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = status } }, statusCode: status);
}
