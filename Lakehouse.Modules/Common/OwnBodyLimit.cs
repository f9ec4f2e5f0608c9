using Microsoft.AspNetCore.Builder;

namespace Lakehouse.Common;

/// <summary>
/// Marks an endpoint that streams its body under a limit of its own (storage.max_put_bytes,
/// ingest.max_ingest_bytes). Every other endpoint's body is bounded by host.max_json_bytes.
/// </summary>
public sealed record OwnBodyLimit(string ConfigKey);

public static class OwnBodyLimitExtensions
{
    public static TBuilder LimitsItsOwnBody<TBuilder>(this TBuilder builder, string configKey) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new OwnBodyLimit(configKey));
}
