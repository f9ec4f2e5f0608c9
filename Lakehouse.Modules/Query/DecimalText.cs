using System.Globalization;

namespace Lakehouse.Query;

/// <summary>
/// A DECIMAL written from DuckDB's unscaled integer and the column's scale, exactly (DECIMAL(38,30)
/// fits no .NET decimal): 12345 at scale 2 is 123.45, -5 at scale 1 is -0.5.
/// </summary>
internal static class DecimalText
{
    /// <summary>Room for 38 digits, a sign, a point and a leading zero.</summary>
    public const int MaxLength = 42;

    public static int Write(Span<byte> into, Int128 unscaled, int scale)
    {
        var length = 0;
        if (Int128.IsNegative(unscaled))
        {
            into[length++] = (byte)'-';
            unscaled = -unscaled;
        }
        Span<byte> digits = stackalloc byte[40];
        ((UInt128)unscaled).TryFormat(digits, out var count, default, CultureInfo.InvariantCulture);
        var whole = count - scale;
        if (whole <= 0)
        {
            into[length++] = (byte)'0';
        }
        else
        {
            digits[..whole].CopyTo(into[length..]);
            length += whole;
        }
        if (scale == 0) return length;
        into[length++] = (byte)'.';
        for (var i = whole; i < 0; i++) into[length++] = (byte)'0';
        var fraction = digits[Math.Max(0, whole)..count];
        fraction.CopyTo(into[length..]);
        return length + fraction.Length;
    }
}
