using Lakehouse.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lakehouse.Storage;

/// <summary>
/// Kestrel resolves "." and ".." in the path before routing, so "objects/a/../../x" would arrive as
/// "/v1/x" (a 404) instead of the 400 a bad key deserves. This middleware refuses such raw keys
/// whatever route the normalised path found.
/// </summary>
internal sealed class RawKeyGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is not null && raw.StartsWith(StorageEndpoints.ObjectsPath, StringComparison.Ordinal)
            && !context.Request.Path.StartsWithSegments(StorageEndpoints.ObjectsPath.TrimEnd('/'))
            && ObjectKeys.Problem(StorageEndpoints.RawKey(raw)) is { } problem)
        {
            throw ProblemException.BadRequest($"Invalid object key: {problem}.");
        }
        return next(context);
    }
}
