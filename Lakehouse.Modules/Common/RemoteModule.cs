using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Common;

/// <summary>
/// A module this process needs but does not host, reached over its REST contract at [remote]
/// &lt;module&gt;_url with [remote] api_key. The HTTP client of each module (storage's, catalog's)
/// sends through here, so every remote call is alike: a time-out for the answer's headers (bodies
/// stream as long as they flow), retries only where sending twice is harmless, and a problem+json
/// answer thrown as the same ProblemException the module would throw in-process.
/// </summary>
public sealed class RemoteModule : IDisposable
{
    static readonly TimeSpan[] RetryPauses = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1)];

    readonly TimeSpan _timeout;
    readonly ILogger _logger;

    public RemoteModule(string module, RemoteSection config, ILoggerFactory loggers)
    {
        Module = module;
        BaseAddress = new Uri(config.UrlOf(module).TrimEnd('/') + "/");
        _timeout = Duration.Parse(config.Timeout);
        _logger = loggers.CreateLogger($"Lakehouse.Remote.{module}");
        // No client-wide time-out: a 256 MiB object streams for as long as it takes. Pooled
        // connections are renewed so a remote that moved (a new address behind a name) is found.
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        })
        { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (config.ApiKey.Length > 0) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.ApiKey);
    }

    public string Module { get; }

    public Uri BaseAddress { get; }

    /// <summary>For the module clients' own long-lived calls (the catalog's change feed).</summary>
    public HttpClient Http { get; }

    /// <summary>What the last probe of the remote's /health found; null before the first.</summary>
    public RemoteStatus? Status { get; internal set; }

    /// <summary>
    /// Sends the request <paramref name="build"/> makes and returns the answer once its headers are in.
    /// An idempotent request is sent again (a new one from <paramref name="build"/>) when the remote
    /// could not be reached or answered 502/503/504. Any other is sent once: even "connection refused"
    /// does not prove it never arrived, because HttpClient itself resends a request whose pooled
    /// connection closed without an answer (the remote died after acting on it), and that resend is
    /// what gets refused. Unreachable in the end: a 503 naming the remote, saying when the outcome of
    /// a change is unknown.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool idempotent, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            using var request = build();
            HttpResponseMessage response;
            try
            {
                response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && InnermostProblem(e) is null
                && e is HttpRequestException or OperationCanceledException or IOException)
            {
                if (idempotent && attempt < RetryPauses.Length)
                {
                    await Task.Delay(RetryPauses[attempt], cancellationToken);
                    continue;
                }
                var what = timeout.IsCancellationRequested ? $"did not answer within remote.timeout ({_timeout.TotalSeconds:0.#} s)" : $"could not be reached ({e.Message})";
                throw ProblemException.Unavailable($"The {Module} module at {BaseAddress} {what}{(idempotent ? "" : "; whether the change was made is unknown")}.", e);
            }
            catch (Exception e) when (InnermostProblem(e) is { } problem)
            {
                throw problem; // the request body failed (over a limit, say): that is the answer, not the remote
            }
            if (idempotent && attempt < RetryPauses.Length && response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                response.Dispose();
                await Task.Delay(RetryPauses[attempt], cancellationToken);
                continue;
            }
            return response;
        }
    }

    /// <summary>Throws what <paramref name="response"/> says went wrong, as the module would have thrown it in-process.</summary>
    public async Task<Exception> FailureOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? title = null, detail = null, type = null;
        try
        {
            if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
            {
                using var problem = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
                title = Text(problem.RootElement, "title");
                detail = Text(problem.RootElement, "detail");
                type = Text(problem.RootElement, "type");
            }
        }
        catch (JsonException)
        {
            // not a problem document after all: described by its status below
        }
        var status = (int)response.StatusCode;
        detail ??= $"The {Module} module at {BaseAddress} answered {status} {response.ReasonPhrase}.";
        if (status == StatusCodes.Status500InternalServerError)
        {
            _logger.LogError("The {Module} module at {Address} failed: {Detail}", Module, BaseAddress, detail);
            return new InvalidOperationException($"The {Module} module at {BaseAddress} failed (500): {detail}");
        }
        return new ProblemException(status, title ?? response.ReasonPhrase ?? "Error", detail, type: type);
    }

    static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static ProblemException? InnermostProblem(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is ProblemException problem) return problem;
        }
        return null;
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>A remote's /health as last seen: whether it answered and hosts the module we need there.</summary>
public sealed record RemoteStatus(bool Reachable, string Detail);

public static class RemoteModuleRegistration
{
    /// <summary>
    /// Registers the <see cref="RemoteModule"/> for <paramref name="module"/> (keyed by its name, for its
    /// client) and the probe that reports every remote on /health.
    /// </summary>
    public static IServiceCollection AddRemoteModule(this IServiceCollection services, string module, LakehouseConfig config)
    {
        services.AddKeyedSingleton(module, (provider, _) => new RemoteModule(module, config.Remote, provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(provider => provider.GetRequiredKeyedService<RemoteModule>(module));
        services.AddHostedService<RemoteProbe>();
        return services;
    }
}
