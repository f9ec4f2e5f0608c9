using System.Text;
using Lakehouse.Common;

namespace Lakehouse.Storage;

/// <summary>
/// Object key rules shared by every backend. Keys are checked before they reach a backend: s3rver,
/// for one, writes a key with ".." outside its data folder (docs/dependencies.md).
/// </summary>
public static class ObjectKeys
{
    /// <summary>
    /// S3 takes 1,024 bytes, but Minio 7.0.0 refuses object names over 512 characters before sending
    /// them, so the S3 backend could not store longer keys: every backend refuses them alike.
    /// </summary>
    public const int MaxBytes = 512;

    /// <summary>A segment is a file or folder name on the filesystem backend, where names stop at 255 bytes; S3 refuses it alike.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>Why <paramref name="key"/> is not a valid object key, or null when it is.</summary>
    public static string? Problem(string key)
    {
        if (key.Length == 0) return "the key is empty";
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > MaxBytes) return $"the key is {bytes} bytes of UTF-8; the limit is {MaxBytes}";
        if (key[0] == '/') return "the key starts with '/'";
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '\\') return $"the key has a backslash at position {i}";
            if (char.IsControl(key[i])) return $"the key has a control character (U+{(int)key[i]:X4}) at position {i}";
            if (char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1])) i++;
            else if (char.IsSurrogate(key[i])) return $"the key has an unpaired surrogate at position {i}";
        }
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0) return "the key has an empty segment ('//' or a trailing '/')";
            if (segment is "." or "..") return $"the key has a '{segment}' segment";
            if (Encoding.UTF8.GetByteCount(segment) is var segmentBytes and > MaxSegmentBytes)
            {
                return $"a segment is {segmentBytes} bytes of UTF-8; each part between slashes is at most {MaxSegmentBytes}";
            }
        }
        return null;
    }

    public static void Validate(string key)
    {
        if (Problem(key) is { } problem) throw ProblemException.BadRequest($"Invalid object key '{Printable(key)}': {problem}.");
    }

    /// <summary>Keys whose first segment starts with '_' belong to the modules (catalog manifests, vector files).</summary>
    public static bool IsModuleOwned(string key) => key.StartsWith('_');

    static string Printable(string key) =>
        new(key.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
