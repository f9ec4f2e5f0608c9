namespace Lakehouse.Common;

public static class ModuleNames
{
    public const string Storage = "storage";
    public const string Catalog = "catalog";
    public const string Ingest = "ingest";
    public const string Query = "query";
    public const string Vectors = "vectors";

    public static readonly IReadOnlyList<string> All = [Storage, Catalog, Ingest, Query, Vectors];
}
