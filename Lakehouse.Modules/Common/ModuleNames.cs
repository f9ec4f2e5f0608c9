namespace Lakehouse.Common;

public static class ModuleNames
{
    public const string Storage = "storage";
    public const string Catalog = "catalog";
    public const string Ingest = "ingest";
    public const string Query = "query";
    public const string Vectors = "vectors";

    public static readonly IReadOnlyList<string> All = [Storage, Catalog, Ingest, Query, Vectors];

    /// <summary>
    /// The modules whose interfaces <paramref name="module"/> calls: in this process when it hosts them,
    /// else over HTTP. ArchitectureTests checks the compiled code uses no others.
    /// </summary>
    public static IReadOnlyList<string> Needs(string module) => module switch
    {
        Catalog => [Storage],
        Ingest => [Storage, Catalog],
        Query => [Storage, Catalog],
        Vectors => [Storage],
        _ => [],
    };

    /// <summary>
    /// The modules whose interfaces <paramref name="module"/> calls only when this process hosts both,
    /// for what needs the two side by side (docs/api.md: SQL's vector_search, an index from a query);
    /// never over HTTP, so no process needs a [remote] URL for them.
    /// </summary>
    public static IReadOnlyList<string> UsesWhenHosted(string module) => module switch
    {
        Query => [Vectors],
        Vectors => [Query],
        _ => [],
    };
}
