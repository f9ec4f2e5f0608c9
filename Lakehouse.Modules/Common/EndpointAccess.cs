using Microsoft.AspNetCore.Builder;

namespace Lakehouse.Common;

/// <summary>
/// What an endpoint needs of its caller, declared where the endpoint is mapped. With [auth] keys on,
/// a read_only key may call only endpoints marked <see cref="Reads"/>; an endpoint that declares
/// nothing counts as a write, so a forgotten route fails closed. Endpoints marked
/// <see cref="ForModules"/> serve the processes of a split deployment and need a module key always.
/// </summary>
public sealed record EndpointAccess(bool ReadOnly, bool ModulesOnly = false)
{
    public static readonly EndpointAccess Read = new(true);
    public static readonly EndpointAccess Write = new(false);
    public static readonly EndpointAccess Module = new(false, ModulesOnly: true);
}

public static class EndpointAccessExtensions
{
    /// <summary>This endpoint changes nothing: read_only keys may call it.</summary>
    public static TBuilder Reads<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EndpointAccess.Read);

    /// <summary>This endpoint changes data: read_only keys get a 403.</summary>
    public static TBuilder Writes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EndpointAccess.Write);

    /// <summary>
    /// Only another Lakehouse process may call this endpoint (it trusts what it is told, such as a
    /// manifest's row counts): a key with role module, never an ordinary key nor an anonymous caller.
    /// </summary>
    public static TBuilder ForModules<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(EndpointAccess.Module);
}
