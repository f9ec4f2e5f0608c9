using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Ingest;
using Lakehouse.Query;
using Lakehouse.Storage;
using Lakehouse.Vectors;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Lakehouse;

/// <summary>The modules this process hosts, as [host] modules lists them: registered and mapped, or neither.</summary>
public static class LakehouseModules
{
    public static IHostApplicationBuilder AddHostedModules(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        if (config.Hosts(ModuleNames.Storage)) builder.AddStorageModule(config);
        if (config.Hosts(ModuleNames.Catalog)) builder.AddCatalogModule();
        if (config.Hosts(ModuleNames.Ingest)) builder.AddIngestModule();
        if (config.Hosts(ModuleNames.Query)) builder.AddQueryModule(config);
        if (config.Hosts(ModuleNames.Vectors)) builder.AddVectorsModule();
        return builder;
    }

    public static IEndpointRouteBuilder MapHostedModules(this IEndpointRouteBuilder app, LakehouseConfig config)
    {
        if (config.Hosts(ModuleNames.Storage)) app.MapStorageEndpoints();
        if (config.Hosts(ModuleNames.Catalog)) app.MapCatalogEndpoints();
        if (config.Hosts(ModuleNames.Ingest)) app.MapIngestEndpoints();
        if (config.Hosts(ModuleNames.Query)) app.MapQueryEndpoints();
        if (config.Hosts(ModuleNames.Vectors)) app.MapVectorsEndpoints();
        return app;
    }
}
