using Microsoft.AspNetCore.Builder;

namespace Lakehouse.Common;

/// <summary>
/// Whether an endpoint only reads or changes data, declared where the endpoint is mapped. With
/// [auth] keys on, a read_only key may call only endpoints marked <see cref="Reads"/>; an endpoint
/// that declares nothing counts as a write, so a forgotten route fails closed.
/// </summary>
public sealed record EndpointAccess(bool ReadOnly)
{
    public static readonly EndpointAccess Read = new(true);
    public static readonly EndpointAccess Write = new(false);
}

public static class EndpointAccessExtensions
{
    /// <summary>This endpoint changes nothing: read_only keys may call it.</summary>
    public static TBuilder Reads<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EndpointAccess.Read);

    /// <summary>This endpoint changes data: read_only keys get a 403.</summary>
    public static TBuilder Writes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EndpointAccess.Write);
}
