using Parquet.Serialization;

namespace Lakehouse.Tests.Infrastructure;

/// <summary>
/// Reads a Parquet file the lakehouse wrote with an independent reader (Parquet.Net, not DuckDB),
/// fetched through the storage API so it works the same on every backend.
/// </summary>
public static class ParquetReadback
{
    public static async Task<List<Dictionary<string, object?>>> RowsAsync(HttpClient client, string key)
    {
        var bytes = await client.GetByteArrayAsync("/v1/storage/objects/" + key, TestContext.Current.CancellationToken);
        var result = await ParquetSerializer.DeserializeUntypedAsync(new MemoryStream(bytes), cancellationToken: TestContext.Current.CancellationToken);
        return [.. result.Data.Select(row => row.ToDictionary(pair => pair.Key, pair => (object?)pair.Value))];
    }
}
