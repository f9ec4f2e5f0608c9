using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Vectors;

/// <summary>The public vector sets in TestData/vectors, kept gzipped in the repository.</summary>
public static class VectorData
{
    static readonly string Folder = Path.Combine(RepoPaths.TestData, "vectors");

    /// <summary>GloVe 6B, 10,000 words × 50 dimensions.</summary>
    public static (string[] Words, float[][] Vectors) Glove()
    {
        var lines = Lines(Path.Combine(Folder, "glove-6B-50d-10k", "glove.6B.50d.10k.txt.gz"));
        var words = new string[lines.Count];
        var vectors = new float[lines.Count][];
        for (var i = 0; i < lines.Count; i++)
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
        var items = Lines(Path.Combine(folder, "test_vectors_1000x128.json.gz")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ids = items.Select(e => e.GetProperty("id").GetInt64()).ToArray();
        var vectors = items.Select(e => e.GetProperty("vector").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        var queries = Lines(Path.Combine(folder, "test_queries_100x128.csv.gz"))
            .Select(l => l.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var truth = Lines(Path.Combine(folder, "test_ground_truth_l2_100.csv.gz"))
            .Select(l => l.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return (ids, vectors, queries, truth);
    }

    /// <summary>The non-empty lines of a gzipped text file.</summary>
    static List<string> Lines(string gzipPath)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(gzipPath), CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0) lines.Add(line);
        }
        return lines;
    }
}
