using System.IO.Pipelines;

namespace Lakehouse.Query;

/// <summary>The query module's façade: one sandboxed, read-only SQL statement over the datasets' views.</summary>
public interface IQueryService
{
    /// <summary>
    /// Checks and runs <paramref name="request"/>. Once the first rows are ready it calls
    /// <paramref name="begin"/> with the result's content type and streams the result into the pipe
    /// that returns; anything refused before then throws a ProblemException (400, 403, 408).
    /// </summary>
    Task ExecuteAsync(SqlRequest request, ResultFormat format, Func<string, PipeWriter> begin, CancellationToken cancellationToken);
}

public sealed record SqlRequest(string? Sql, long? MaxRows);

public enum ResultFormat
{
    Json,
    Csv,
    Ndjson,
}
