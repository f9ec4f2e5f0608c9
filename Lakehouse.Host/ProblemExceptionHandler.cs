using System.Text.Json;
using Lakehouse.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Lakehouse.Host;

/// <summary>Turns what modules throw into problem+json: their ProblemExceptions as they say, a disk that filled up as a 507, anything else as a 500 (a bug).</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.RequestAborted.IsCancellationRequested) return true; // the client left; nobody to tell
        // A disk filling up is not a bug wherever it happens: the operator's to fix, and named.
        if (exception is not ProblemException && DiskFull.Caused(exception)) exception = DiskFull.Problem(exception);
        var type = (exception as ProblemException)?.Type;
        var (status, title, detail) = exception switch
        {
            ProblemException p => (p.Status, p.Title, p.Message),
            BadHttpRequestException { InnerException: JsonException json } => (StatusCodes.Status400BadRequest, "Bad request", BodyBindingError.Describe(json)),
            BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "An unexpected error occurred; it has been logged."),
        };
        if (status == StatusCodes.Status500InternalServerError) logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        else if (status > 500) logger.LogWarning("{Method} {Path} answered {Status}: {Detail}", context.Request.Method, context.Request.Path, status, detail); // storage away or full: the operator's to fix
        if (context.Response.HasStarted)
        {
            context.Abort(); // a half-sent stream cannot become an error document; a cut connection says it failed
            return true;
        }
        context.Response.StatusCode = status;
        if (context.Request.Path.StartsWithSegments("/iceberg"))
        {
            // Iceberg REST clients read only the protocol's own error shape.
            await context.Response.WriteAsJsonAsync(new { error = new { message = detail, type = IcebergErrorType(status), code = status } }, cancellationToken);
            return true;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = type },
        });
    }

    static string IcebergErrorType(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "BadRequestException",
        StatusCodes.Status401Unauthorized => "NotAuthorizedException",
        StatusCodes.Status403Forbidden => "ForbiddenException",
        StatusCodes.Status404NotFound => "NoSuchTableException",
        StatusCodes.Status503ServiceUnavailable => "ServiceUnavailableException",
        _ => "InternalServerError",
    };
}
