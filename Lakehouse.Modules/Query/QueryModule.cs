using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Storage;
using Lakehouse.Vectors;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lakehouse.Query;

public static class QueryModule
{
    public static IHostApplicationBuilder AddQueryModule(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        builder.Services.AddSingleton(services => new ParquetFiles(services.GetRequiredService<IObjectStore>(), config.Query.CacheDir, config.Query.CacheMaxBytes,
            services.GetRequiredService<ILogger<ParquetFiles>>()));
        // DuckDB may read only where the datasets' files are: the storage root, or the cache of copies.
        builder.Services.AddSingleton<DatasetFileLists>();
        builder.Services.AddSingleton(services => new QueryEngine(config, [services.GetRequiredService<ParquetFiles>().Folder], services.GetRequiredService<DatasetFileLists>(),
            config.Hosts(ModuleNames.Vectors) ? services.GetRequiredService<IVectorService>() : null));
        builder.Services.AddSingleton<DatasetViews>();
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
