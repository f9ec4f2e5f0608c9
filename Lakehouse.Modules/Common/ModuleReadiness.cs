using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Common;

/// <summary>Work a module does once at start (open its store, load manifests or indexes) before /health says ok.</summary>
public interface IModuleInitializer
{
    string Module { get; }

    Task InitializeAsync(CancellationToken cancellationToken);
}

/// <summary>Which hosted modules are still starting; /health answers 503 until none is.</summary>
public sealed class ModuleReadiness
{
    readonly Lock _lock = new();
    readonly HashSet<string> _pending;

    public ModuleReadiness(IEnumerable<IModuleInitializer> initializers) =>
        _pending = [.. initializers.Select(i => i.Module)];

    public IReadOnlyList<string> Pending
    {
        get
        {
            lock (_lock) return [.. _pending];
        }
    }

    internal void Done(string module)
    {
        lock (_lock) _pending.Remove(module);
    }

    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ModuleReadiness>();
        services.AddHostedService<ModuleInitializationService>();
    }
}

/// <summary>
/// Runs the initializers in registration order (storage first) after the server starts, so the
/// process answers /health with 503 while large catalogs or vector indexes load. A failing module
/// (an S3 endpoint that is down, say) is logged and tried again with growing pauses; it never stops
/// the process.
/// </summary>
internal sealed class ModuleInitializationService(
    IEnumerable<IModuleInitializer> initializers, ModuleReadiness readiness, ILogger<ModuleInitializationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var initializer in initializers)
        {
            for (var pause = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
            {
                try
                {
                    await initializer.InitializeAsync(stoppingToken);
                    readiness.Done(initializer.Module);
                    break;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError("Module {Module} failed to start ({Reason}); /health answers 503, trying again in {Pause}", initializer.Module, e.Message, pause);
                    await Task.Delay(pause, stoppingToken);
                }
            }
        }
    }
}
