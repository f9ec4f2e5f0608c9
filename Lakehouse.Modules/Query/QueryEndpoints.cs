using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Query;

internal static class QueryEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/sql", Sql).Reads()
        .Produces<QueryResultShape>(StatusCodes.Status200OK, "application/json", "text/csv", "application/x-ndjson");

    /// <summary>The format the Accept header prefers most (by q), among JSON, CSV and NDJSON; JSON when it names none of them.</summary>
    static ResultFormat Negotiate(HttpRequest request)
    {
        var best = ResultFormat.Json;
        var bestQuality = -1.0;
        foreach (var accepted in request.GetTypedHeaders().Accept)
        {
            ResultFormat? format = accepted.MediaType.Value?.ToLowerInvariant() switch
            {
                "text/csv" => ResultFormat.Csv,
                "application/x-ndjson" => ResultFormat.Ndjson,
                "application/json" => ResultFormat.Json,
                _ => null,
            };
            var quality = accepted.Quality ?? 1.0;
            if (format is { } known && quality > 0 && quality > bestQuality) // q=0 means "not this one"
            {
                best = known;
                bestQuality = quality;
            }
        }
        return best;
    }

    static async Task Sql(HttpContext context, SqlRequest? request, IQueryService queries)
    {
        if (request is null) throw ProblemException.BadRequest("The body must be JSON: {\"sql\": \"SELECT …\", \"max_rows\": N}.");
        await queries.ExecuteAsync(request, Negotiate(context.Request), contentType =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = contentType;
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return context.Response.BodyWriter;
        }, context.RequestAborted);
    }
}

/// <summary>The JSON result's shape, for the OpenAPI document (the writers stream it without this type).</summary>
internal sealed record QueryResultShape(IReadOnlyList<QueryColumnShape> Columns, IReadOnlyList<IReadOnlyList<System.Text.Json.JsonElement>> Rows, long RowCount, bool Truncated, long ElapsedMs);

internal sealed record QueryColumnShape(string Name, string Type);
