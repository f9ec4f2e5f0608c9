using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

public static class QueryModule
{
    public static IHostApplicationBuilder AddQueryModule(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        var s3 = config.Storage.Backend == "s3";
        var cacheFolder = config.Query.CacheDir.Length > 0 ? config.Query.CacheDir
            : Path.Combine(Path.GetTempPath(), "lakehouse-query-cache", config.S3.Bucket);
        if (s3)
        {
            builder.Services.AddSingleton(services => new ParquetCache(services.GetRequiredService<IObjectStore>(), cacheFolder, config.Query.CacheMaxBytes,
                services.GetRequiredService<ILoggerFactory>().CreateLogger<ParquetCache>()));
        }
        // DuckDB may read only where the datasets' files are: the storage root, or the S3 cache.
        builder.Services.AddSingleton(services => new QueryEngine(config, [services.GetService<ParquetCache>()?.Folder ?? config.Storage.Root]));
        builder.Services.AddSingleton(services => new DatasetViews(services.GetRequiredService<ICatalog>(), services.GetRequiredService<IObjectStore>(),
            services.GetRequiredService<QueryEngine>(), services.GetService<ParquetCache>()));
        builder.Services.AddSingleton<IQueryService, DuckDbQueryService>();
        builder.Services.AddSingleton<IModuleInitializer, QueryInitializer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        QueryEndpoints.Map(app);
        return app;
    }
}

/// <summary>Builds a view for every dataset before /health says ok; later changes arrive from the catalog.</summary>
internal sealed class QueryInitializer(DatasetViews views) : IModuleInitializer
{
    public string Module => ModuleNames.Query;

    public Task InitializeAsync(CancellationToken cancellationToken) => views.EnsureStartedAsync();
}
