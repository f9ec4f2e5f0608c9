using Lakehouse.Vectors;

namespace Lakehouse.Tests.Vectors;

/// <summary>Which metadata text is a date-time for ranges over date-times, and which instant it names.</summary>
public sealed class DateTimeTextTests
{
    [Theory]
    [InlineData("2024-01-31", "2024-01-31T00:00:00Z")]
    [InlineData("2024-01-31T10:14", "2024-01-31T10:14:00Z")]
    [InlineData("2024-01-31T10:14:31", "2024-01-31T10:14:31Z")]
    [InlineData("2024-01-31T10:14:31.5", "2024-01-31T10:14:31.5Z")]
    [InlineData("2024-01-31T10:14:31+02:00", "2024-01-31T08:14:31Z")]
    [InlineData("2024-01-31 10:14:31-05:30", "2024-01-31T15:44:31Z")]
    [InlineData("2024-01-31 10:14:31.123456+02", "2024-01-31T08:14:31.123456Z")] // DuckDB's own TIMESTAMPTZ text
    [InlineData("2024-02-29 23:59:59", "2024-02-29T23:59:59Z")]
    public void A_date_time_names_its_instant_in_UTC(string text, string utc)
    {
        Assert.True(DateTimeText.TryParse(text, out var ticks));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("jazz")]
    [InlineData("1990")]
    [InlineData("10:14:31")]
    [InlineData("2024-02-30")]
    [InlineData("2023-02-29")]
    [InlineData("2024-1-31")]
    [InlineData("20240131")]
    [InlineData(" 2024-01-31")]
    [InlineData("2024-01-31 and more")]
    public void Other_text_is_not_a_date_time(string text) => Assert.False(DateTimeText.TryParse(text, out _));
}
