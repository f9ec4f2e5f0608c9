using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>The refusals every backend words alike.</summary>
internal static class StorageErrors
{
    public static ProblemException RangeOutside(string key, RangeRequest range, long? size) =>
        ProblemException.RangeNotSatisfiable(size is { } known
            ? $"Range {range} is outside object '{key}' of {known} bytes."
            : $"Range {range} is outside object '{key}'.");
}
