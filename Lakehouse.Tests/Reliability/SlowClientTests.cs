using System.Net;
using System.Net.Sockets;
using System.Text;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Reliability;

/// <summary>Slow-loris clients hold a connection only as long as the limits allow, and what they sent changes nothing.</summary>
public sealed class SlowClientTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Trickles <paramref name="trickle"/> a byte at a time after <paramref name="opening"/>; returns what the server said before it hung up.</summary>
    static async Task<string> TrickleUntilClosedAsync(Uri address, string opening, string trickle)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port, Cancel);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(opening), Cancel);
        var answer = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, Cancel)) > 0) answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            catch (IOException)
            {
            }
        }, Cancel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        foreach (var c in trickle)
        {
            if (reading.IsCompleted) break;
            try
            {
                await stream.WriteAsync(new[] { (byte)c }, deadline.Token);
                await Task.WhenAny(reading, Task.Delay(100, deadline.Token)); // a slow client's pace, not a wait for the server
            }
            catch (IOException)
            {
                break; // the server hung up
            }
        }
        Assert.True(await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(30), Cancel)) == reading, "the server kept the slow connection open");
        return answer.ToString();
    }

    [Fact]
    public async Task Headers_that_never_finish_lose_their_connection()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["host:request_headers_timeout"] = "1s" });
        var address = host.CreateClient().BaseAddress!;
        var answer = await TrickleUntilClosedAsync(address, "GET /v1/catalog/datasets HTTP/1.1\r\nHost: x\r\n", new string('x', 600));
        Assert.DoesNotContain("200 OK", answer, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await host.CreateClient().GetAsync("/v1/catalog/datasets", Cancel)).StatusCode);
    }

    [Fact]
    public async Task A_body_slower_than_the_minimum_rate_is_cut_and_stores_nothing()
    {
        await using var host = new LakehouseFactory(new Dictionary<string, string> { ["host:min_body_bytes_per_second"] = "1000" });
        var client = host.CreateClient();
        var answer = await TrickleUntilClosedAsync(client.BaseAddress!,
            "PUT /v1/storage/objects/slow.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", new string('y', 600));
        Assert.Contains("408", answer, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/storage/objects/slow.bin", Cancel)).StatusCode);
    }
}
