namespace Lakehouse.Query;

/// <summary>
/// ISO 8601 dates and timestamps written straight as UTF-8 digits from DuckDB's own numbers (days
/// since 1970-01-01; seconds, milli-, micro- or nanoseconds since 1970-01-01T00:00:00). Custom format
/// strings are parsed on every call (~15% of a 100,000-row JSON result with two date columns), and
/// DateOnly/DateTime cannot hold DuckDB's whole range: years past 9999, years before 1, infinity.
/// </summary>
internal static class IsoText
{
    /// <summary>The longest text written: an INTERVAL with every part at its extreme takes 56 bytes.</summary>
    public const int MaxLength = 64;

    // DuckDB's infinite DATE and TIMESTAMP values.
    const long InfiniteDays = int.MaxValue;
    const long InfiniteTime = long.MaxValue;
    const long NegativeInfiniteTime = -long.MaxValue;

    /// <summary>yyyy-MM-dd (or DuckDB's "infinity"/"-infinity"); returns the bytes written.</summary>
    public static int Date(Span<byte> into, long days)
    {
        if (Math.Abs(days) == InfiniteDays) return Infinity(into, days > 0);
        return CivilDate(into, days);
    }

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss, then the fraction of a second without trailing zeros when there is one,
    /// then Z when asked.
    /// </summary>
    public static int Timestamp(Span<byte> into, long value, long unitsPerSecond, bool utc)
    {
        if (value is InfiniteTime or NegativeInfiniteTime) return Infinity(into, value > 0);
        var seconds = Math.DivRem(value, unitsPerSecond, out var fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += unitsPerSecond;
        }
        var days = Math.DivRem(seconds, 86_400, out var secondOfDay);
        if (secondOfDay < 0)
        {
            days--;
            secondOfDay += 86_400;
        }
        var length = CivilDate(into, days);
        into[length++] = (byte)'T';
        length += Clock(into[length..], secondOfDay, fraction, unitsPerSecond);
        if (utc) into[length++] = (byte)'Z';
        return length;
    }

    /// <summary>A TIME (microseconds since midnight) as HH:mm:ss, then the fraction when there is one.</summary>
    public static int Time(Span<byte> into, long micros) => Clock(into, micros / 1_000_000, micros % 1_000_000, 1_000_000);

    /// <summary>
    /// An INTERVAL as an ISO 8601 duration (P1Y2M3DT4H5M6.5S; PT0S when empty). DuckDB keeps months,
    /// days and microseconds apart (a month is not a number of days), and so does this; each part
    /// keeps its own sign.
    /// </summary>
    public static int Duration(Span<byte> into, int months, int days, long micros)
    {
        var length = 0;
        into[length++] = (byte)'P';
        length += Part(into[length..], months / 12, 'Y');
        length += Part(into[length..], months % 12, 'M');
        length += Part(into[length..], days, 'D');
        if (micros != 0 || length == 1)
        {
            into[length++] = (byte)'T';
            length += Part(into[length..], micros / 3_600_000_000, 'H');
            length += Part(into[length..], micros / 60_000_000 % 60, 'M');
            var seconds = micros % 60_000_000;
            if (seconds != 0 || length == 2)
            {
                if (seconds < 0) into[length++] = (byte)'-';
                seconds = Math.Abs(seconds);
                length += Number(into[length..], seconds / 1_000_000);
                length += Fraction(into[length..], seconds % 1_000_000, 1_000_000);
                into[length++] = (byte)'S';
            }
        }
        return length;
    }

    static int Part(Span<byte> into, long value, char unit)
    {
        if (value == 0) return 0;
        var length = 0;
        if (value < 0) into[length++] = (byte)'-';
        length += Number(into[length..], Math.Abs(value));
        into[length++] = (byte)unit;
        return length;
    }

    static int Number(Span<byte> into, long value)
    {
        var digits = CountDigits(value);
        Digits(into, value, digits);
        return digits;
    }

    /// <summary>HH:mm:ss, then the fraction of a second (in units of 1/<paramref name="unitsPerSecond"/>) without trailing zeros.</summary>
    static int Clock(Span<byte> into, long secondOfDay, long fraction, long unitsPerSecond)
    {
        Digits(into, secondOfDay / 3600, 2);
        into[2] = (byte)':';
        Digits(into[3..], secondOfDay / 60 % 60, 2);
        into[5] = (byte)':';
        Digits(into[6..], secondOfDay % 60, 2);
        return 8 + Fraction(into[8..], fraction, unitsPerSecond);
    }

    static int Fraction(Span<byte> into, long fraction, long unitsPerSecond)
    {
        if (fraction == 0) return 0;
        into[0] = (byte)'.';
        var digits = unitsPerSecond switch { 1_000 => 3, 1_000_000 => 6, _ => 9 };
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }
        Digits(into[1..], fraction, digits);
        return digits + 1;
    }

    /// <summary>The proleptic Gregorian date of a day number (H. Hinnant's civil_from_days); years below 1 as -yyyy.</summary>
    static int CivilDate(Span<byte> into, long days)
    {
        var z = days + 719_468;
        var era = (z >= 0 ? z : z - 146_096) / 146_097;
        var dayOfEra = z - (era * 146_097);
        var yearOfEra = (dayOfEra - (dayOfEra / 1460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
        var dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
        var shiftedMonth = ((5 * dayOfYear) + 2) / 153;
        var day = dayOfYear - (((153 * shiftedMonth) + 2) / 5) + 1;
        var month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        var year = yearOfEra + (era * 400) + (month <= 2 ? 1 : 0);
        var length = 0;
        if (year < 0)
        {
            into[length++] = (byte)'-';
            year = -year;
        }
        var yearDigits = Math.Max(4, CountDigits(year));
        Digits(into[length..], year, yearDigits);
        length += yearDigits;
        into[length] = (byte)'-';
        Digits(into[(length + 1)..], month, 2);
        into[length + 3] = (byte)'-';
        Digits(into[(length + 4)..], day, 2);
        return length + 6;
    }

    static int Infinity(Span<byte> into, bool positive)
    {
        var text = positive ? "infinity"u8 : "-infinity"u8;
        text.CopyTo(into);
        return text.Length;
    }

    static int CountDigits(long value)
    {
        var count = 1;
        while ((value /= 10) > 0) count++;
        return count;
    }

    static void Digits(Span<byte> into, long value, int count)
    {
        for (var i = count - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
