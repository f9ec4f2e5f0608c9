using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Lakehouse.Bench;

/// <summary>How the workloads time things, alike everywhere: medians after warm-ups, pairs timed in turns, and one SQL round trip.</summary>
public static class Timing
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The median milliseconds of <paramref name="repeats"/> runs after <paramref name="warmUps"/> untimed ones.</summary>
    public static double Median(int repeats, Action action, int warmUps = 1)
    {
        for (var i = 0; i < warmUps; i++) action();
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    public static async Task<double> MedianAsync(int repeats, Func<Task> action, int warmUps = 1)
    {
        for (var i = 0; i < warmUps; i++) await action();
        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    /// <summary>The medians of <paramref name="first"/> and <paramref name="second"/>, timed in turns so that the machine's drift hits both alike.</summary>
    public static async Task<(double First, double Second)> PairedMediansAsync(int repeats, Func<Task> first, Func<Task> second, int warmUps = 1)
    {
        var medians = await MediansInTurnsAsync(repeats, warmUps, first, second);
        return (medians[0], medians[1]);
    }

    /// <summary>The median of each action, the actions timed in turns (one run of each per round) so that the machine's drift hits all alike.</summary>
    public static async Task<double[]> MediansInTurnsAsync(int repeats, int warmUps, params Func<Task>[] actions)
    {
        for (var i = 0; i < warmUps; i++)
        {
            foreach (var action in actions) await action();
        }
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (var i = 0; i < repeats; i++)
        {
            for (var a = 0; a < actions.Length; a++)
            {
                var clock = Stopwatch.StartNew();
                await actions[a]();
                times[a].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        return [.. times.Select(Median)];
    }

    /// <summary>POST /v1/sql and read the whole result (in the format <paramref name="accept"/> asks for), as a client would.</summary>
    public static async Task SqlAsync(HttpClient http, string sql, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sql") { Content = JsonContent.Create(new { sql }) };
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.CopyToAsync(Stream.Null);
    }
}
