using System.Buffers.Text;
using System.Collections.Frozen;

namespace Lakehouse.Ingest;

/// <summary>The column types inference can choose, as bits: a value allows a set, a column keeps the intersection.</summary>
[Flags]
internal enum TypeMask : byte
{
    None = 0,
    BigInt = 1,
    Double = 2,
    Boolean = 4,
    Date = 8,
    Timestamp = 16,
    All = BigInt | Double | Boolean | Date | Timestamp,
}

/// <summary>
/// Which types one CSV value can be read as without losing or changing anything. Deliberately
/// narrower than DuckDB's parser: "01234" (a code), "+5", ".5", NaN, 20-digit integers and
/// timestamps with a numeric UTC offset (DuckDB's TIMESTAMP would drop the offset) all stay text.
/// </summary>
internal static class ValueTypes
{
    public static TypeMask Of(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return TypeMask.None;
        var first = value[0];
        if (IsDigit(first) || first == '-')
        {
            if (value.Length >= 10 && value[4] == '-' && IsDigit(first)) return DateOrTimestamp(value);
            return Number(value);
        }
        if (value.Length is 4 or 5 && (first | 0x20) is (byte)'t' or (byte)'f') return Boolean(value);
        return TypeMask.None;
    }

    static TypeMask Number(ReadOnlySpan<byte> value)
    {
        var i = value[0] == '-' ? 1 : 0;
        var integerStart = i;
        while (i < value.Length && IsDigit(value[i])) i++;
        var integerDigits = i - integerStart;
        if (integerDigits == 0 || (integerDigits > 1 && value[integerStart] == '0')) return TypeMask.None;
        if (i == value.Length)
        {
            // Up to 18 digits always fits a BIGINT; 19 may; beyond is an identifier, not a number.
            return integerDigits <= 18 || (integerDigits == 19 && Utf8Parser.TryParse(value, out long _, out var used) && used == value.Length)
                ? TypeMask.BigInt | TypeMask.Double
                : TypeMask.None;
        }
        var exponent = false;
        if (value[i] == '.')
        {
            var fractionStart = ++i;
            while (i < value.Length && IsDigit(value[i])) i++;
            if (i == fractionStart) return TypeMask.None;
        }
        if (i < value.Length && (value[i] | 0x20) == 'e')
        {
            exponent = true;
            i++;
            if (i < value.Length && value[i] is (byte)'+' or (byte)'-') i++;
            var exponentStart = i;
            while (i < value.Length && IsDigit(value[i])) i++;
            if (i == exponentStart || i - exponentStart > 3) return TypeMask.None;
        }
        if (i != value.Length) return TypeMask.None;
        if (exponent && !(Utf8Parser.TryParse(value, out double number, out _, 'e') && double.IsFinite(number))) return TypeMask.None;
        return TypeMask.Double;
    }

    static TypeMask Boolean(ReadOnlySpan<byte> value) =>
        System.Text.Ascii.EqualsIgnoreCase(value, "true"u8) || System.Text.Ascii.EqualsIgnoreCase(value, "false"u8) ? TypeMask.Boolean : TypeMask.None;

    /// <summary>YYYY-MM-DD is a DATE; YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z] a TIMESTAMP.</summary>
    static TypeMask DateOrTimestamp(ReadOnlySpan<byte> value)
    {
        if (!TwoDigits(value, 5, out var month) || !TwoDigits(value, 8, out var day) || value[7] != '-'
            || !IsDigit(value[1]) || !IsDigit(value[2]) || !IsDigit(value[3])) return TypeMask.None;
        var year = ((value[0] - '0') * 1000) + ((value[1] - '0') * 100) + ((value[2] - '0') * 10) + (value[3] - '0');
        if (year == 0 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return TypeMask.None;
        if (value.Length == 10) return TypeMask.Date;

        if (value.Length < 16 || value[10] is not ((byte)'T' or (byte)' ') || value[13] != ':'
            || !TwoDigits(value, 11, out var hour) || !TwoDigits(value, 14, out var minute) || hour > 23 || minute > 59) return TypeMask.None;
        var i = 16;
        if (i < value.Length && value[i] == ':')
        {
            if (!TwoDigits(value, i + 1, out var second) || second > 59) return TypeMask.None;
            i += 3;
            if (i < value.Length && value[i] == '.')
            {
                var fractionStart = ++i;
                while (i < value.Length && IsDigit(value[i])) i++;
                // DuckDB keeps microseconds: more digits would be cut silently.
                if (i - fractionStart is < 1 or > 6) return TypeMask.None;
            }
        }
        if (i < value.Length && value[i] == 'Z') i++;
        return i == value.Length ? TypeMask.Timestamp : TypeMask.None;
    }

    static bool TwoDigits(ReadOnlySpan<byte> value, int at, out int number)
    {
        number = 0;
        if (at + 1 >= value.Length || !IsDigit(value[at]) || !IsDigit(value[at + 1])) return false;
        number = ((value[at] - '0') * 10) + (value[at + 1] - '0');
        return true;
    }

    static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>The types a column can be inferred as; Parquet gives each back under the same DuckDB name (tested).</summary>
    public static readonly FrozenSet<string> RoundTripExactly = FrozenSet.ToFrozenSet(["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"], StringComparer.Ordinal);

    /// <summary>The type a column gets from the intersection of its values' masks.</summary>
    public static string ColumnType(TypeMask mask, bool sawValue) =>
        !sawValue ? "VARCHAR"
        : mask.HasFlag(TypeMask.BigInt) ? "BIGINT"
        : mask.HasFlag(TypeMask.Double) ? "DOUBLE"
        : mask.HasFlag(TypeMask.Boolean) ? "BOOLEAN"
        : mask.HasFlag(TypeMask.Date) ? "DATE"
        : mask.HasFlag(TypeMask.Timestamp) ? "TIMESTAMP"
        : "VARCHAR";
}
