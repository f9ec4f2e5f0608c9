using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lakehouse.Catalog;

public static class CatalogModule
{
    public static IHostApplicationBuilder AddCatalogModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ObjectStoreCatalog>();
        builder.Services.AddSingleton<ICatalog>(services => services.GetRequiredService<ObjectStoreCatalog>());
        builder.Services.AddSingleton<IModuleInitializer, CatalogInitializer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        CatalogEndpoints.Map(app.MapGroup("/v1/catalog"));
        return app;
    }
}

/// <summary>Loads every manifest at start, so /health turns ok only once the catalog is complete.</summary>
internal sealed class CatalogInitializer(ObjectStoreCatalog catalog) : IModuleInitializer
{
    public string Module => ModuleNames.Catalog;

    public Task InitializeAsync(CancellationToken cancellationToken) => catalog.EnsureLoadedAsync();
}
