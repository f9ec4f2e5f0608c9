using Lakehouse.Common;

namespace Lakehouse.Catalog;

/// <summary>The catalog's refusals that a caller must tell apart from others of their status.</summary>
public static class CatalogErrors
{
    /// <summary>The problem type of a compare-and-swap that lost: the dataset moved on; read it again and retry.</summary>
    public const string VersionConflictType = "urn:lakehouse:problem:version-conflict";

    public static ProblemException VersionConflict(string name, long current, long expected) =>
        new(409, "Conflict", $"Dataset '{name}' is at version {current}, not the expected {expected}.", type: VersionConflictType);

    public static bool IsVersionConflict(this ProblemException problem) => problem.Type == VersionConflictType;
}
