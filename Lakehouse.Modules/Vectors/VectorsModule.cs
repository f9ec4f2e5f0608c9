using Lakehouse.Common;
using Lakehouse.Query;
using Lakehouse.Vectors.Log;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lakehouse.Vectors;

public static class VectorsModule
{
    public static IHostApplicationBuilder AddVectorsModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<VectorStorage>();
        builder.Services.AddSingleton<VectorService>();
        builder.Services.AddSingleton<IVectorService>(services => services.GetRequiredService<VectorService>());
        // Only with the query module in this process (ModuleNames.UsesWhenHosted); null makes items:from-sql say so.
        builder.Services.AddSingleton(services => new IndexFromSql(services.GetRequiredService<VectorService>(), services.GetService<IQueryService>()));
        builder.Services.AddSingleton<IModuleInitializer, VectorsInitializer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapVectorsEndpoints(this IEndpointRouteBuilder app)
    {
        VectorEndpoints.Map(app.MapGroup("/v1/vectors"));
        return app;
    }
}

/// <summary>Loads every persisted index at start; /health answers 503 until they are in memory.</summary>
internal sealed class VectorsInitializer(VectorService vectors) : IModuleInitializer
{
    public string Module => ModuleNames.Vectors;

    public Task InitializeAsync(CancellationToken cancellationToken) => vectors.EnsureLoadedAsync();
}
