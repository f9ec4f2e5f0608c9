namespace Lakehouse.Storage;

/// <summary>
/// Orders strings as their UTF-8 bytes would sort (S3's key order). UTF-16 ordinal order differs
/// only between surrogates (U+D800–DFFF) and U+E000–FFFF, so those two blocks are swapped.
/// </summary>
public sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] != y[i]) return Weight(x[i]) - Weight(y[i]);
        }
        return x.Length - y.Length;
    }

    static int Weight(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
