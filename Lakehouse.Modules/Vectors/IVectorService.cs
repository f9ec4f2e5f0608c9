using System.Text.Json;

namespace Lakehouse.Vectors;

/// <summary>The vectors module's façade: named HNSW indexes of (id, vector, metadata) items.</summary>
public interface IVectorService
{
    Task<IndexInfo> CreateAsync(CreateIndexRequest request, CancellationToken cancellationToken);

    IReadOnlyList<IndexInfo> List();

    IndexInfo Get(string name);

    Task DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Validates the whole batch, then upserts it; acknowledged only once it is stored.</summary>
    Task<UpsertResult> UpsertAsync(string name, UpsertRequest request, CancellationToken cancellationToken);

    ItemResponse GetItem(string name, string id);

    Task DeleteItemAsync(string name, string id, CancellationToken cancellationToken);

    SearchResponse Search(string name, SearchRequest request);
}

public sealed record CreateIndexRequest(string? Name, int? Dim, string? Metric, int? M, int? EfConstruction, int? EfSearch);

public sealed record IndexInfo(string Name, int Dim, string Metric, int M, int EfConstruction, int EfSearch, int Count);

public sealed record IndexList(IReadOnlyList<IndexInfo> Indexes);

public sealed record UpsertItem(string? Id, float[]? Vector, JsonElement? Metadata);

public sealed record UpsertRequest(IReadOnlyList<UpsertItem?>? Items);

public sealed record UpsertResult(int Added, int Updated, int Count);

public sealed record ItemResponse(string Id, float[] Vector, JsonElement? Metadata);

/// <param name="Filter">Conditions on item metadata every result meets (docs/api.md, Vectors: filtered search).</param>
public sealed record SearchRequest(float[]? Vector, int? K, int? Ef, JsonElement? Filter = null);

public sealed record SearchHit(string Id, float Distance, JsonElement? Metadata);

public sealed record SearchResponse(IReadOnlyList<SearchHit> Results);
