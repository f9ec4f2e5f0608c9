using System.Globalization;

namespace Lakehouse.Common;

/// <summary>Durations as config writes them: "500ms", "30s", "2m", "1h", or a bare number of seconds.</summary>
public static class Duration
{
    /// <param name="allowZero">Whether "0s" means something here ("at once"); a time-out of zero never does.</param>
    public static bool TryParse(string text, out TimeSpan value, bool allowZero = false)
    {
        value = default;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0 || (amount == 0 && !allowZero)) return false;
        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }

    public static TimeSpan Parse(string text, bool allowZero = false) =>
        TryParse(text, out var value, allowZero) ? value : throw new FormatException($"'{text}' is not a duration.");
}
