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
/// stays not-ready and is logged; it never stops the process or the other modules.
/// </summary>
internal sealed class ModuleInitializationService(
    IEnumerable<IModuleInitializer> initializers, ModuleReadiness readiness, ILogger<ModuleInitializationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var initializer in initializers)
        {
            try
            {
                await initializer.InitializeAsync(stoppingToken);
                readiness.Done(initializer.Module);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Module {Module} failed to start; it stays unavailable (503)", initializer.Module);
            }
        }
    }
}
