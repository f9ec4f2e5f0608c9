using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Lakehouse.Query;

internal static class QueryEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/sql", Sql);

    static async Task Sql(HttpContext context, SqlRequest? request, IQueryService queries)
    {
        if (request is null) throw ProblemException.BadRequest("The body must be JSON: {\"sql\": \"SELECT …\", \"max_rows\": N}.");
        var accept = context.Request.Headers.Accept.ToString();
        var format = accept.Contains("text/csv", StringComparison.OrdinalIgnoreCase) ? ResultFormat.Csv
            : accept.Contains("application/x-ndjson", StringComparison.OrdinalIgnoreCase) ? ResultFormat.Ndjson
            : ResultFormat.Json;
        await queries.ExecuteAsync(request, format, contentType =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = contentType;
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return context.Response.BodyWriter;
        }, context.RequestAborted);
    }
}
