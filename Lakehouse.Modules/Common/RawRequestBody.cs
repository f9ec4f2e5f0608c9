using Microsoft.AspNetCore.Builder;

namespace Lakehouse.Common;

/// <summary>
/// An endpoint that reads its body itself, as bytes of these content types: declared for the API
/// description only. (The framework's Accepts() also restricts routing by Content-Type, which would
/// turn a storage PUT of a JSON file into a bare 415.)
/// </summary>
public sealed record RawRequestBody(IReadOnlyList<string> ContentTypes);

public static class RawRequestBodyExtensions
{
    public static TBuilder TakesRawBody<TBuilder>(this TBuilder builder, params string[] contentTypes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RawRequestBody(contentTypes));
}
