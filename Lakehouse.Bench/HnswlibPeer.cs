using System.Text.Json;
using Lakehouse.Tools;

namespace Lakehouse.Bench;

/// <summary>
/// hnswlib through npm's hnswlib-node (tools/hnswlib-bench), run as a peer process on the same data
/// in the same run. Installed and compiled (node-gyp) on first use.
/// </summary>
public static class HnswlibPeer
{
    public sealed record Result(double BuildVectorsPerSecond, SortedDictionary<int, (double Recall, double Qps)> ByEf);

    public static async Task<Result?> RunAsync(float[][] data, float[][] queries, int[][] truth)
    {
        var tool = Path.Combine(StorageBench.FindRepoRoot(), "tools", "hnswlib-bench");
        try
        {
            if (!File.Exists(Path.Combine(tool, "node_modules", "hnswlib-node", "build", "Release", "addon.node")))
            {
                await ProcessRunner.RunAsync("npm", "ci", tool);
                await ProcessRunner.RunAsync("npm", "rebuild hnswlib-node", tool);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Report.Progress("hnswlib-node could not be installed; skipping the in-run anchor: " + e.Message);
            return null;
        }
        var input = Path.Combine(Path.GetTempPath(), "lakehouse-hnswlib-input.bin");
        await using (var file = new BinaryWriter(File.Create(input)))
        {
            file.Write(data.Length);
            file.Write(data[0].Length);
            file.Write(queries.Length);
            file.Write(truth[0].Length);
            foreach (var vector in data.Concat(queries)) foreach (var value in vector) file.Write(value);
            foreach (var row in truth) foreach (var id in row) file.Write(id);
        }
        Report.Progress("hnswlib (one thread) building and searching the same data");
        var output = await ProcessRunner.RunAsync("node", $"bench.js {input}", tool);
        File.Delete(input);
        using var json = JsonDocument.Parse(output);
        var byEf = new SortedDictionary<int, (double, double)>();
        foreach (var ef in json.RootElement.GetProperty("by_ef").EnumerateObject())
        {
            byEf[int.Parse(ef.Name, System.Globalization.CultureInfo.InvariantCulture)] = (ef.Value.GetProperty("recall").GetDouble(), ef.Value.GetProperty("qps").GetDouble());
        }
        return new Result(json.RootElement.GetProperty("build_vectors_per_s").GetDouble(), byEf);
    }
}
