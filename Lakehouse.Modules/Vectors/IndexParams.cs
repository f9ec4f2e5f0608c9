using Lakehouse.Common;
using Lakehouse.Vectors.Hnsw;

namespace Lakehouse.Vectors;

/// <summary>An index's fixed parameters, as the API takes them and LHV1's envelope stores them.</summary>
public sealed record IndexParams(
    string Name,
    int Dim,
    Metric Metric,
    int M,
    int EfConstruction,
    int EfSearch)
{
    public const int MaxDim = 4096;

    public static IndexParams Validate(string? name, int? dim, string? metric, int? m, int? efConstruction, int? efSearch)
    {
        if (name is null) throw ProblemException.BadRequest("name is required.");
        Names.Validate(name, "Index");
        if (dim is not { } d || d is < 1 or > MaxDim) throw ProblemException.BadRequest($"dim must be from 1 to {MaxDim}.");
        var parsed = ParseMetric(metric);
        if (m is { } links && links is < 2 or > 128) throw ProblemException.BadRequest("m must be from 2 to 128.");
        if (efConstruction is { } efc && efc is < 1 or > 4096) throw ProblemException.BadRequest("ef_construction must be from 1 to 4096.");
        if (efSearch is { } efs && efs is < 1 or > 4096) throw ProblemException.BadRequest("ef_search must be from 1 to 4096.");
        return new IndexParams(name, d, parsed, m ?? 16, efConstruction ?? 200, efSearch ?? 64);
    }

    public static Metric ParseMetric(string? metric) => metric switch
    {
        null or "cosine" => Metric.Cosine,
        "l2" => Metric.L2,
        "dot" => Metric.Dot,
        _ => throw ProblemException.BadRequest($"metric must be \"cosine\", \"l2\" or \"dot\", not \"{metric}\"."),
    };

    public string MetricName => Metric switch
    {
        Metric.L2 => "l2",
        Metric.Dot => "dot",
        _ => "cosine",
    };
}
