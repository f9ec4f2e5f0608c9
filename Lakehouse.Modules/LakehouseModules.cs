using Lakehouse.Catalog;
using Lakehouse.Common;
using Lakehouse.Ingest;
using Lakehouse.Query;
using Lakehouse.Storage;
using Lakehouse.Vectors;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Lakehouse;

/// <summary>
/// The modules this process hosts, as [host] modules lists them: registered and mapped, or neither.
/// A module they need that is hosted elsewhere is registered as its HTTP client at [remote] &lt;module&gt;_url
/// (config loading made sure there is one): the same interface, so the code above it is the same.
/// </summary>
public static class LakehouseModules
{
    public static IHostApplicationBuilder AddHostedModules(this IHostApplicationBuilder builder, LakehouseConfig config)
    {
        if (config.Hosts(ModuleNames.Storage)) builder.AddStorageModule(config);
        else if (config.NeedsRemote(ModuleNames.Storage)) builder.AddRemoteStorage(config);
        if (config.Hosts(ModuleNames.Catalog)) builder.AddCatalogModule();
        else if (config.NeedsRemote(ModuleNames.Catalog)) builder.AddRemoteCatalog(config);
        if (config.Hosts(ModuleNames.Ingest)) builder.AddIngestModule();
        if (config.Hosts(ModuleNames.Query)) builder.AddQueryModule(config);
        if (config.Hosts(ModuleNames.Vectors)) builder.AddVectorsModule();
        return builder;
    }

    public static WebApplication MapHostedModules(this WebApplication app, LakehouseConfig config)
    {
        if (config.Hosts(ModuleNames.Storage))
        {
            app.UseStorageKeyGuard();
            app.MapStorageEndpoints();
        }
        if (config.Hosts(ModuleNames.Catalog)) app.MapCatalogEndpoints();
        if (config.Hosts(ModuleNames.Ingest)) app.MapIngestEndpoints();
        if (config.Hosts(ModuleNames.Query)) app.MapQueryEndpoints();
        if (config.Hosts(ModuleNames.Vectors)) app.MapVectorsEndpoints();
        return app;
    }
}
