using Lakehouse;
using Lakehouse.Common;
using Lakehouse.Host;

var builder = WebApplication.CreateBuilder(args);
LakehouseConfig config;
try
{
    config = builder.AddLakehouseConfig();
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"lakehouse: {e.Message}");
    return 2;
}
builder.AddLakehouseHost(config);
builder.AddLakehouseOpenApi(config);
builder.AddHostedModules(config);

var app = builder.Build();
app.RemoveAbandonedScratchFiles();
app.UseLakehouseHost(config);
app.MapHostedModules(config);
app.MapLakehouseOpenApi();
app.MapWebConsole();
await app.RunAsync();
return 0;

/// <summary>The entry point, public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
