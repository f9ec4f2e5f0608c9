using System.Globalization;

namespace Lakehouse.Vectors;

/// <summary>
/// Metadata text that is a date-time, for ranges over date-times (Qdrant's datetime range): RFC 3339
/// (<c>2024-01-31T10:14:31Z</c>, <c>…+02:00</c>), a space for the T, or a date alone, as DuckDB writes
/// DATE, TIMESTAMP and TIMESTAMPTZ values into metadata (items:from-sql). Text without an offset is UTC.
/// </summary>
internal static class DateTimeText
{
    static readonly string[] Formats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        // DuckDB's own text of a TIMESTAMPTZ gives the offset in hours alone: 2024-01-31 10:14:31+02.
        "yyyy-MM-dd'T'HH:mm:sszz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzz", "yyyy-MM-dd HH:mm:sszz", "yyyy-MM-dd HH:mm:ss.FFFFFFFzz",
    ];

    /// <summary>The instant <paramref name="text"/> names, as UTC ticks; false for text that is not a date-time.</summary>
    public static bool TryParse(string text, out long utcTicks)
    {
        utcTicks = 0;
        // Most metadata strings are not dates: they fail here, before the parser's work.
        if (text.Length < 10 || text[4] != '-' || !char.IsAsciiDigit(text[0])) return false;
        if (!DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant)) return false;
        utcTicks = instant.UtcTicks;
        return true;
    }
}
