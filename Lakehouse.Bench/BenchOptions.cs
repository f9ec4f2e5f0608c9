namespace Lakehouse.Bench;

public sealed record BenchOptions(bool Quick);
