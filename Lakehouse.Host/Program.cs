using Lakehouse;
using Lakehouse.Common;
using Lakehouse.Host;

// Our config is TOML, read once. ASP.NET would otherwise watch for an appsettings.json under the content root, which
// holds ./data: one inotify watch per folder of every dataset, and a thread reading an event for every object written.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
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
