using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lakehouse.Storage;

public static class StorageModule
{
    public static IHostApplicationBuilder AddStorageModule(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        builder.Services.AddSingleton<IObjectStore>(_ => config.Storage.Backend == "s3"
            ? S3ObjectStore.Create(config.S3)
            : new FileSystemObjectStore(config.Storage.Root));
        builder.Services.AddSingleton<IModuleInitializer, StorageInitializer>();
        return builder;
    }

    /// <summary>Storage hosted by another process: the same interface over its REST API at [remote] storage_url.</summary>
    public static IHostApplicationBuilder AddRemoteStorage(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        builder.Services.AddRemoteModule(ModuleNames.Storage, config);
        builder.Services.AddSingleton<IObjectStore>(services => new HttpObjectStore(services.GetRequiredKeyedService<RemoteModule>(ModuleNames.Storage)));
        return builder;
    }

    /// <summary>Refuses object keys with "." or ".." segments before path normalisation hides them (see RawKeyGuard).</summary>
    public static IApplicationBuilder UseStorageKeyGuard(this IApplicationBuilder app) => app.UseMiddleware<RawKeyGuard>();

    public static IEndpointRouteBuilder MapStorageEndpoints(this IEndpointRouteBuilder app)
    {
        StorageEndpoints.Map(app.MapGroup("/v1/storage"));
        return app;
    }
}
