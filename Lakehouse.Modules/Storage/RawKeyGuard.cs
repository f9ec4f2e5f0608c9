using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lakehouse.Storage;

/// <summary>
/// Kestrel resolves "." and ".." in the path before routing, so "objects/a/../../x" would arrive as
/// "/v1/x" (a 404) instead of the 400 a bad key deserves. This runs first and refuses such raw keys.
/// </summary>
internal sealed class RawKeyGuard : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (raw is not null && raw.StartsWith(StorageEndpoints.ObjectsPath, StringComparison.Ordinal)
                && !context.Request.Path.StartsWithSegments(StorageEndpoints.ObjectsPath.TrimEnd('/'))
                && ObjectKeys.Problem(StorageEndpoints.RawKey(raw)) is { } problem)
            {
                return TypedResults.Problem(title: "Invalid input", statusCode: StatusCodes.Status400BadRequest,
                    detail: $"Invalid object key: {problem}.").ExecuteAsync(context);
            }
            return nextMiddleware(context);
        });
        next(app);
    };
}
