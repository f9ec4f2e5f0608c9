using System.Text.Json;

namespace Lakehouse.Bench;

/// <summary>Figures as JSON lines on stdout, one per metric, each beside its anchor from the same run.</summary>
public static class Report
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Figure(string workload, string metric, double value, string? anchor = null, double? anchorValue = null, bool lowerIsBetter = false)
    {
        double? ratio = anchorValue is > 0 ? Math.Round(value / anchorValue.Value, 3) : null;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            workload,
            metric,
            value = Math.Round(value, 3),
            anchor,
            anchor_value = anchorValue is { } a ? Math.Round(a, 3) : (double?)null,
            ratio,
            // Which way the ratio is good: times and sizes are better below their anchor, rates above.
            better = lowerIsBetter ? "lower" : "higher",
        }, Json));
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
