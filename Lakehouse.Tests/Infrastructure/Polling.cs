using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>Waiting for a host to recover, by asking it, within a deadline (never a fixed sleep).</summary>
public static class Polling
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every 20 ms; fails naming <paramref name="what"/> after a minute.</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                Assert.Fail("Waited a minute in vain: " + what());
            }
        }
    }

    /// <summary>Asks every 20 ms until the answer is done and returns its value; fails naming <paramref name="what"/> after a minute.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<(bool Done, T Value)>> ask, Func<string> what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            var (done, value) = await ask();
            if (done) return value;
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                Assert.Fail("Waited a minute in vain: " + what());
            }
        }
    }

    /// <summary>GETs <paramref name="path"/> until it is 200 (it may be 503 while a module recovers), within a minute.</summary>
    public static async Task<JsonElement> UntilOkAsync(HttpClient client, string path)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            var response = await client.GetAsync(path, deadline.Token);
            if (response.StatusCode == HttpStatusCode.OK) return await response.Content.ReadFromJsonAsync<JsonElement>(deadline.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            await Task.Delay(20, deadline.Token);
        }
    }
}
