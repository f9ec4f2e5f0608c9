using Microsoft.AspNetCore.Http;

namespace Lakehouse.Common;

/// <summary>
/// A failure the client caused or can act on. Modules throw it at any depth; the host turns it into
/// application/problem+json with this status, so a handler never has to thread errors back by hand.
/// </summary>
public sealed class ProblemException(int status, string title, string detail, Exception? inner = null, string? type = null) : Exception(detail, inner)
{
    public int Status { get; } = status;
    public string Title { get; } = title;

    /// <summary>The problem's type URI when a caller must tell it from others of its status (RFC 9457); null: about:blank.</summary>
    public string? Type { get; } = type;

    public static ProblemException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Invalid input", detail);
    public static ProblemException Forbidden(string detail) => new(StatusCodes.Status403Forbidden, "Forbidden", detail);
    public static ProblemException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);
    public static ProblemException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);
    public static ProblemException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);
    public static ProblemException UnsupportedMediaType(string detail) => new(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);
    public static ProblemException RangeNotSatisfiable(string detail) => new(StatusCodes.Status416RangeNotSatisfiable, "Range not satisfiable", detail);
    public static ProblemException Unavailable(string detail, Exception? inner = null) => new(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail, inner);
    public static ProblemException InsufficientStorage(string detail, Exception? inner = null) => new(StatusCodes.Status507InsufficientStorage, "Insufficient storage", detail, inner);
}
