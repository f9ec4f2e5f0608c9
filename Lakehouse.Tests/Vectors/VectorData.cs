using System.Globalization;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Vectors;

/// <summary>The public vector sets in shared/data/vectors.</summary>
public static class VectorData
{
    static readonly string Folder = Path.Combine(RepoPaths.SharedData, "vectors");

    /// <summary>GloVe 6B, 10,000 words × 50 dimensions.</summary>
    public static (string[] Words, float[][] Vectors) Glove()
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, "glove-6B-50d-10k", "glove.6B.50d.10k.txt"));
        var words = new string[lines.Length];
        var vectors = new float[lines.Length][];
        for (var i = 0; i < lines.Length; i++)
        {
            var parts = lines[i].Split(' ');
            words[i] = parts[0];
            vectors[i] = [.. parts.Skip(1).Select(p => float.Parse(p, CultureInfo.InvariantCulture))];
        }
        return (words, vectors);
    }

    /// <summary>OpenSearch's k-NN test set: 1,000 × 128 with ids, 100 queries, and the exact L2 top-100 ids per query.</summary>
    public static (long[] Ids, float[][] Vectors, float[][] Queries, long[][] Truth) OpenSearch()
    {
        var folder = Path.Combine(Folder, "opensearch-knn-1000x128");
        var items = File.ReadLines(Path.Combine(folder, "test_vectors_1000x128.json")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ids = items.Select(e => e.GetProperty("id").GetInt64()).ToArray();
        var vectors = items.Select(e => e.GetProperty("vector").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        var queries = File.ReadLines(Path.Combine(folder, "test_queries_100x128.csv")).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var truth = File.ReadLines(Path.Combine(folder, "test_ground_truth_l2_100.csv")).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return (ids, vectors, queries, truth);
    }
}
