using System.Data.Common;

namespace Lakehouse.Common;

/// <summary>
/// Whether a failure was a disk (or a quota) running out. Every write the process makes can meet one:
/// the storage root, and the scratch files in the temp dir (an ingest's spooled CSV and Parquet, an
/// S3 object copied for DuckDB, a snapshot before its upload). It is the operator's to fix, so it is
/// a 507 that says where, not a 500.
/// </summary>
public static class DiskFull
{
    const int NoSpace = 28; // ENOSPC: .NET gives an IOException the errno as its HResult on Unix
    const int OverQuota = 122; // EDQUOT

    /// <summary>True when <paramref name="failure"/> or one it wraps ran out of space.</summary>
    public static bool Caused(Exception failure) => failure switch
    {
        IOException { HResult: NoSpace or OverQuota } => true,
        // DuckDB reports its own write failures with the C library's words, not an errno.
        DbException db when db.Message.Contains("No space left on device", StringComparison.Ordinal) || db.Message.Contains("Disk quota exceeded", StringComparison.Ordinal) => true,
        AggregateException many => many.InnerExceptions.Any(Caused),
        { InnerException: { } inner } => Caused(inner),
        _ => false,
    };

    /// <summary>The 507 for a disk that filled up anywhere but the storage root (which says so itself).</summary>
    public static ProblemException Problem(Exception failure) => ProblemException.InsufficientStorage(
        $"A disk this server writes to is full (or over quota), so the request failed and changed nothing: {Innermost(failure).Message.TrimEnd('.')}. " +
        $"Free space there and retry; scratch files are kept in the temp dir ({Path.GetTempPath()}, which TMPDIR sets).", failure);

    static Exception Innermost(Exception failure) => failure switch
    {
        IOException or DbException => failure,
        AggregateException many => Innermost(many.InnerExceptions.First(Caused)),
        { InnerException: { } inner } => Innermost(inner),
        _ => failure,
    };
}
