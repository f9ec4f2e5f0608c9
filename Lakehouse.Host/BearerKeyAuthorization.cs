using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Lakehouse.Common;

namespace Lakehouse.Host;

/// <summary>
/// API keys from [auth]. With keys on, every /v1 route needs a known bearer key, and a read_only key
/// may call only endpoints that declare <see cref="EndpointAccess.Read"/> where they are mapped (an
/// endpoint that declares nothing counts as a write). With keys off every caller is read_write. Either
/// way only a module key reaches an endpoint declared for modules, and the caller's role is set on
/// HttpContext.User for the checks an endpoint makes itself (writing a module-owned object). Runs after
/// routing, so it judges the endpoint, not the path.
/// </summary>
internal sealed class BearerKeyAuthorization(RequestDelegate next, LakehouseConfig config)
{
    // Keys are compared as SHA-256 digests in constant time, every key every time: neither the
    // comparison nor the loop leaks how much of a guess was right.
    readonly (byte[] Digest, string Role)[] _keys = [.. config.Auth.Keys.Select(k => (Digest(k.Key), k.Role))];

    static readonly ClaimsPrincipal Anonymous = Caller(Roles.ReadWrite, authenticated: false);

    public Task InvokeAsync(HttpContext context)
    {
        // The API and the Iceberg REST catalog need a key; /health and /metrics stay open.
        if (!context.Request.Path.StartsWithSegments("/v1") && !context.Request.Path.StartsWithSegments("/iceberg")) return next(context);
        var header = context.Request.Headers.Authorization.ToString();
        var role = _keys.Length == 0 ? Roles.ReadWrite
            : header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? RoleOf(header["Bearer ".Length..].Trim()) : null;
        if (role is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ProblemException(StatusCodes.Status401Unauthorized, "Unauthorized", "Send a known API key as 'Authorization: Bearer <key>'.");
        }
        context.User = _keys.Length == 0 ? Anonymous : Caller(role, authenticated: true);
        var access = context.GetEndpoint()?.Metadata.GetMetadata<EndpointAccess>();
        if (access is { ModulesOnly: true } && role != Roles.Module)
        {
            throw ProblemException.Forbidden($"{context.Request.Method} {context.Request.Path}: {Roles.ModuleKeyNeeded}.");
        }
        if (role == Roles.ReadOnly && context.GetEndpoint() is not null && access is not { ReadOnly: true })
        {
            throw ProblemException.Forbidden($"This key is read_only; {context.Request.Method} {context.Request.Path} changes data.");
        }
        return next(context);
    }

    /// <summary>The key's role; null when it is not a known key.</summary>
    string? RoleOf(string key)
    {
        var digest = Digest(key);
        string? role = null;
        foreach (var (known, keyRole) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, known)) role = keyRole;
        }
        return role;
    }

    static ClaimsPrincipal Caller(string role, bool authenticated) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Role, role)], authenticated ? "Bearer" : null));

    static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
