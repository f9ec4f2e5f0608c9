using Lakehouse.Catalog.Iceberg;
using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Catalog;

public static class CatalogModule
{
    public static IHostApplicationBuilder AddCatalogModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CatalogChangeFeed>();
        builder.Services.AddSingleton<IcebergMetadataWriter>();
        builder.Services.AddSingleton<ObjectStoreCatalog>();
        builder.Services.AddSingleton<ICatalog>(services => services.GetRequiredService<ObjectStoreCatalog>());
        builder.Services.AddSingleton<IModuleInitializer, CatalogInitializer>();
        builder.Services.AddSingleton<DatasetCompactor>();
        builder.Services.AddHostedService<CompactionScheduler>();
        return builder;
    }

    /// <summary>
    /// The catalog hosted by another process: the same interface over its REST API at [remote]
    /// catalog_url, with a mirror that follows its change feed from start to stop.
    /// </summary>
    public static IHostApplicationBuilder AddRemoteCatalog(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        builder.Services.AddRemoteModule(ModuleNames.Catalog, config);
        builder.Services.AddSingleton(services => new HttpCatalog(services.GetRequiredKeyedService<RemoteModule>(ModuleNames.Catalog), config,
            services.GetRequiredService<ILogger<HttpCatalog>>()));
        builder.Services.AddSingleton<ICatalog>(services => services.GetRequiredService<HttpCatalog>());
        builder.Services.AddHostedService<CatalogFeedFollower>();
        builder.Services.AddSingleton<IModuleInitializer, RemoteCatalogInitializer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        CatalogEndpoints.Map(app.MapGroup("/v1/catalog"));
        IcebergRestEndpoints.Map(app.MapGroup("/iceberg"));
        return app;
    }
}

/// <summary>Loads every manifest at start, so /health turns ok only once the catalog is complete.</summary>
internal sealed class CatalogInitializer(ObjectStoreCatalog catalog) : IModuleInitializer
{
    public string Module => ModuleNames.Catalog;

    public Task InitializeAsync(CancellationToken cancellationToken) => catalog.EnsureLoadedAsync();
}

/// <summary>Follows the remote catalog's change feed for as long as the process runs.</summary>
internal sealed class CatalogFeedFollower(HttpCatalog catalog) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => catalog.FollowAsync(stoppingToken);
}

/// <summary>/health says ok only once the remote catalog's first snapshot is mirrored here.</summary>
internal sealed class RemoteCatalogInitializer(HttpCatalog catalog) : IModuleInitializer
{
    public string Module => ModuleNames.Catalog;

    public Task InitializeAsync(CancellationToken cancellationToken) => catalog.MirroredAsync(cancellationToken);
}
