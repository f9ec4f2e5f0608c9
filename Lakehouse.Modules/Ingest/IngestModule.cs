using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lakehouse.Ingest;

public static class IngestModule
{
    public static IHostApplicationBuilder AddIngestModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ParquetConverter>();
        builder.Services.AddSingleton<IIngestService, CsvIngestor>();
        return builder;
    }

    public static IEndpointRouteBuilder MapIngestEndpoints(this IEndpointRouteBuilder app)
    {
        IngestEndpoints.Map(app.MapGroup("/v1/ingest"));
        return app;
    }
}
