using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Common;

/// <summary>
/// Asks each remote's /health every two seconds whether it answers and hosts the module this process
/// needs from it; /health here reports what it found and is 503 while a remote is not reachable. A
/// remote that answers 503 (it is starting) counts as reachable: requests wait for it, and two
/// processes that need each other's modules must not wait for each other to say ok.
/// </summary>
internal sealed class RemoteProbe(IEnumerable<RemoteModule> remotes, ILogger<RemoteProbe> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.WhenAll(remotes.Select(remote => ProbeAsync(remote, stoppingToken)));
            await Task.Delay(Interval, stoppingToken);
        }
    }

    async Task ProbeAsync(RemoteModule remote, CancellationToken stoppingToken)
    {
        var status = await CheckAsync(remote, stoppingToken);
        if (remote.Status?.Reachable != status.Reachable)
        {
            if (status.Reachable) logger.LogInformation("Remote {Module} at {Address} is reachable", remote.Module, remote.BaseAddress);
            else logger.LogWarning("Remote {Module} at {Address} is not reachable: {Detail}", remote.Module, remote.BaseAddress, status.Detail);
        }
        remote.Status = status;
    }

    static async Task<RemoteStatus> CheckAsync(RemoteModule remote, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Interval);
        try
        {
            using var response = await remote.Http.GetAsync("health", timeout.Token);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)) return new(false, $"/health answered {(int)response.StatusCode}");
            using var health = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), default, timeout.Token);
            var hosted = health.RootElement.TryGetProperty("modules", out var modules) && modules.ValueKind == JsonValueKind.Array
                && modules.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.GetString() == remote.Module);
            if (!hosted) return new(false, $"it does not host {remote.Module}");
            return new(true, response.StatusCode == HttpStatusCode.OK ? "ok" : "starting");
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Whatever went wrong, the remote is not usable; a background service that threw would stop the process.
            return new(false, e is OperationCanceledException ? "no answer within 2 s" : e.Message);
        }
    }
}
