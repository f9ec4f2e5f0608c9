using Lakehouse.Common;
using Microsoft.Extensions.DependencyInjection;

namespace Lakehouse.Storage;

/// <summary>Opens the store at start: creates the root or the bucket, and surfaces a bad S3 config at once.</summary>
internal sealed class StorageInitializer(IServiceProvider services) : IModuleInitializer
{
    public string Module => ModuleNames.Storage;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        Task.Run(() => services.GetRequiredService<IObjectStore>(), cancellationToken);
}
