using Lakehouse.Common;

namespace Lakehouse.Host;

/// <summary>
/// Bounds every request body by host.max_json_bytes, except on endpoints that stream their body
/// under a limit of their own (<see cref="OwnBodyLimit"/>). Kestrel's own limit is off because those
/// take up to 256 MiB; without this, a JSON body of any size was read and parsed before being refused.
/// </summary>
internal sealed class JsonBodyLimit(RequestDelegate next, LakehouseConfig config)
{
    const string Key = "host.max_json_bytes";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<OwnBodyLimit>() is not null) return next(context);
        var limit = config.Host.MaxJsonBytes;
        if (context.Request.ContentLength > limit)
        {
            throw ProblemException.TooLarge($"The body is {context.Request.ContentLength} bytes; {Key} is {limit}. Raise {Key} to send larger bodies.");
        }
        context.Request.Body = new LimitedReadStream(context.Request.Body, limit, Key);
        return next(context);
    }
}
