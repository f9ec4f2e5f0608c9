using Lakehouse.Common;
using Lakehouse.Storage;

namespace Lakehouse.Catalog;

/// <summary>
/// What a manifest read from storage must hold before the catalog serves it: a file that parses as
/// JSON may still lack fields or name keys no store accepts, and one bad manifest must not reach the
/// query views or the API.
/// </summary>
internal static class ManifestCheck
{
    /// <summary>The manifest, when it is whole and belongs at <paramref name="key"/>; else InvalidDataException saying why.</summary>
    public static DatasetManifest Whole(DatasetManifest? manifest, string key)
    {
        if (manifest is null) throw new InvalidDataException("the manifest is empty");
        if (manifest.Name is null || !Names.IsValid(manifest.Name) || DatasetKeys.Manifest(manifest.Name) != key)
        {
            throw new InvalidDataException($"its name '{manifest.Name}' does not belong at {key}");
        }
        if (manifest.Version < 1) throw new InvalidDataException($"version {manifest.Version} is not a version");
        if (manifest.Schema is not { Count: > 0 } schema || schema.Any(c => c is null || string.IsNullOrEmpty(c.Name) || string.IsNullOrEmpty(c.Type)))
        {
            throw new InvalidDataException("its schema is missing or has a column without a name or type");
        }
        if (manifest.Files is null || manifest.Files.Any(f => f is null || f.Key is null || ObjectKeys.Problem(f.Key) is not null || f.RowCount < 0 || f.SizeBytes < 0))
        {
            throw new InvalidDataException("its file list is missing or names an invalid file");
        }
        return manifest;
    }
}
