using System.Text.Json;
using Lakehouse.Tools;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// Independent Iceberg clients from npm (tools/iceberg-clients, pinned by its lock file): iceberg-js
/// lists and loads the tables of our REST catalog, icebird reads their rows from the data files.
/// Installed on first use (or by .ci/run).
/// </summary>
public static class IcebergClients
{
    static readonly SemaphoreSlim Install = new(1, 1);

    static string Folder => Path.Combine(RepoPaths.Root, "tools", "iceberg-clients");

    /// <summary>What the clients found: {"namespaces":[…],"tables":{name:{location,schema,rows}}}.</summary>
    public static async Task<JsonElement> ReadAllTablesAsync(Uri host, string? token)
    {
        await Install.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(Folder, "node_modules", "icebird"))) await ProcessRunner.RunAsync("npm", "ci --no-audit --no-fund", Folder);
        }
        finally
        {
            Install.Release();
        }
        var output = await ProcessRunner.RunAsync("node", $"read-tables.mjs {new Uri(host, "/iceberg")} {token}".Trim(), Folder);
        return JsonDocument.Parse(output).RootElement.Clone();
    }
}
