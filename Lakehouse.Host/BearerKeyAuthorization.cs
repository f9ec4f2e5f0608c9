using System.Security.Cryptography;
using System.Text;
using Lakehouse.Common;

namespace Lakehouse.Host;

/// <summary>
/// API keys from [auth]: every /v1 route needs a known bearer key, and a read_only key may call only
/// endpoints that declare <see cref="EndpointAccess.Read"/> where they are mapped (an endpoint that
/// declares nothing counts as a write). Runs after routing, so it judges the endpoint, not the path.
/// </summary>
internal sealed class BearerKeyAuthorization(RequestDelegate next, LakehouseConfig config)
{
    // Keys are compared as SHA-256 digests in constant time, every key every time: neither the
    // comparison nor the loop leaks how much of a guess was right.
    readonly (byte[] Digest, bool ReadOnly)[] _keys = [.. config.Auth.Keys.Select(k => (Digest(k.Key), k.Role == "read_only"))];

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1")) return next(context);
        var header = context.Request.Headers.Authorization.ToString();
        var readOnly = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? RoleOf(header["Bearer ".Length..].Trim()) : null;
        if (readOnly is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ProblemException(StatusCodes.Status401Unauthorized, "Unauthorized", "Send a known API key as 'Authorization: Bearer <key>'.");
        }
        var endpoint = context.GetEndpoint();
        if (readOnly.Value && endpoint is not null && endpoint.Metadata.GetMetadata<EndpointAccess>() is not { ReadOnly: true })
        {
            throw ProblemException.Forbidden($"This key is read_only; {context.Request.Method} {context.Request.Path} changes data.");
        }
        return next(context);
    }

    /// <summary>Whether the key is read_only; null when it is not a known key.</summary>
    bool? RoleOf(string key)
    {
        var digest = Digest(key);
        bool? role = null;
        foreach (var (known, readOnly) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, known)) role = readOnly;
        }
        return role;
    }

    static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
