using Lakehouse.Bench;

// dotnet run -c Release --project Lakehouse.Bench -- <workload> [--quick]
// One JSON object per figure on stdout; progress on stderr.
var workloads = new Dictionary<string, Func<BenchOptions, Task>>
{
    ["storage"] = StorageBench.RunAsync,
    ["ingest"] = IngestBench.RunAsync,
    ["query"] = QueryBench.RunAsync,
    ["vectors"] = VectorsBench.RunAsync,
    ["vectorlog"] = VectorLogBench.RunAsync,
    ["vectorsql"] = VectorSqlBench.RunAsync,
    ["load"] = LoadBench.RunAsync,
    ["split"] = SplitBench.RunAsync,
    ["compaction"] = CompactionBench.RunAsync,
    ["iceberg"] = IcebergBench.RunAsync,
};
if (args.Length == 0 || !workloads.TryGetValue(args[0], out var run))
{
    await Console.Error.WriteLineAsync($"usage: Lakehouse.Bench <{string.Join('|', workloads.Keys)}> [--quick]");
    return 2;
}
await run(new BenchOptions(Quick: args.Contains("--quick")));
return 0;
