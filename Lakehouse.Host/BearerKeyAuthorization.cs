using Lakehouse.Common;

namespace Lakehouse.Host;

/// <summary>
/// API keys from [auth]: every /v1 route needs a known bearer key, and read_only keys may only read.
/// POST /v1/sql and vector searches are reads; every other non-GET request writes.
/// </summary>
internal sealed class BearerKeyAuthorization(RequestDelegate next, LakehouseConfig config)
{
    readonly Dictionary<string, string> _roles = config.Auth.Keys.ToDictionary(k => k.Key, k => k.Role, StringComparer.Ordinal);

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1")) return next(context);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || !_roles.TryGetValue(header["Bearer ".Length..].Trim(), out var role))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ProblemException(StatusCodes.Status401Unauthorized, "Unauthorized", "Send a known API key as 'Authorization: Bearer <key>'.");
        }
        if (role == "read_only" && Writes(context.Request))
        {
            throw ProblemException.Forbidden($"This key is read_only; {context.Request.Method} {context.Request.Path} changes data.");
        }
        return next(context);
    }

    static bool Writes(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
          || (HttpMethods.IsPost(request.Method) && (request.Path.Equals("/v1/sql") || request.Path.Value!.EndsWith("/search", StringComparison.Ordinal))));
}
