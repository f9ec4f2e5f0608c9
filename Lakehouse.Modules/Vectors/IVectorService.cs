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

    /// <summary>A page of the items a filter passes (every item without one), in id order, and how many pass in all.</summary>
    ItemPage ListItems(string name, ItemListRequest request);

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

/// <param name="Filter">The filter of a search (docs/api.md), as JSON text.</param>
/// <param name="After">Only ids that sort after this one (ordinal): the previous page's <see cref="ItemPage.Next"/>.</param>
/// <param name="Limit">At most this many items, 1 to 1000 (text, as the query string has it); 100 by default.</param>
public sealed record ItemListRequest(string? Filter, string? After, string? Limit);

public sealed record ListedItem(string Id, JsonElement? Metadata);

/// <param name="Count">How many items pass the filter in all (every page).</param>
/// <param name="Next">The last id of this page when more items follow, for the next page's after; else null.</param>
public sealed record ItemPage(IReadOnlyList<ListedItem> Items, int Count, string? Next);

/// <param name="Filter">Conditions on item metadata every result meets (docs/api.md, Vectors: filtered search).</param>
public sealed record SearchRequest(float[]? Vector, int? K, int? Ef, JsonElement? Filter = null)
{
    /// <summary>The most results one search returns.</summary>
    public const int MaxK = 1000;

    /// <summary>The widest beam one search may ask for.</summary>
    public const int MaxEf = 10_000;
}

public sealed record SearchHit(string Id, float Distance, JsonElement? Metadata);

public sealed record SearchResponse(IReadOnlyList<SearchHit> Results);
