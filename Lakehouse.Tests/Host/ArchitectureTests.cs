using System.Reflection;
using Lakehouse.Common;

namespace Lakehouse.Tests.Host;

/// <summary>
/// Modules talk to each other only through their public façades, and only along the designed edges:
/// checked on the compiled types (signatures and the IL of every method body), not on source text.
/// </summary>
public sealed class ArchitectureTests
{
    // The one table of which module needs which (it also decides which [remote] URLs a process needs),
    // and of which uses which when both are hosted, by namespace: "ingest" lives in Lakehouse.Ingest.
    static readonly Dictionary<string, string[]> AllowedDependencies =
        ModuleNames.All.ToDictionary(Namespace, m => ModuleNames.Needs(m).Concat(ModuleNames.UsesWhenHosted(m)).Select(Namespace).ToArray());

    static string Namespace(string module) => char.ToUpperInvariant(module[0]) + module[1..];

    /// <summary>The module a type of ours belongs to (its namespace's second part), or null for anything else.</summary>
    static string? ModuleOf(Type type) =>
        type.Namespace is { } ns && ns.StartsWith("Lakehouse.", StringComparison.Ordinal) && type.Assembly == typeof(ModuleNames).Assembly ? ns.Split('.')[1] : null;

    /// <summary>Every top-level type of a module (nested ones, lambdas and state machines, are read with their outer type).</summary>
    static List<Type> ModuleTypes() =>
        [.. typeof(ModuleNames).Assembly.GetTypes().Where(t => !t.IsNested && ModuleOf(t) is { } m && AllowedDependencies.ContainsKey(m))];

    [Fact]
    public void Each_modules_compiled_code_uses_only_the_allowed_modules_and_only_their_public_types()
    {
        var types = ModuleTypes();
        Assert.NotEmpty(types);
        var violations = types
            .SelectMany(type => TypeReferences.Of(type)
                .Where(used => ModuleOf(used) is { } other && other != ModuleOf(type) && other != "Common"
                    && (!AllowedDependencies[ModuleOf(type)!].Contains(other) || !(used.IsPublic || used.IsNestedPublic)))
                .Select(used => $"{type.FullName} uses {used.FullName}"))
            .Distinct()
            .ToList();
        Assert.Empty(violations);
    }

    [Fact]
    public void Each_module_reads_only_its_own_config_section()
    {
        var owners = new Dictionary<Type, string>
        {
            [typeof(StorageSection)] = "Storage",
            [typeof(S3Section)] = "Storage",
            [typeof(CatalogSection)] = "Catalog",
            [typeof(IngestSection)] = "Ingest",
            [typeof(QuerySection)] = "Query",
            [typeof(VectorsSection)] = "Vectors",
        };
        var types = ModuleTypes();
        var readers = types.Where(type => TypeReferences.Of(type).Contains(typeof(IngestSection))).ToList();
        Assert.NotEmpty(readers); // the check can see a section being read
        var violations = types
            .SelectMany(type => TypeReferences.Of(type)
                .Where(used => owners.TryGetValue(used, out var owner) && owner != ModuleOf(type))
                .Select(used => $"{type.FullName} reads [{used.Name}]"))
            .Distinct()
            .ToList();
        Assert.Empty(violations);
    }

    [Fact]
    public void The_type_reading_sees_what_a_method_body_uses()
    {
        // A check that finds nothing must be able to: CsvIngestor uses the catalog's façade only inside method bodies too.
        var used = TypeReferences.Of(typeof(Lakehouse.Ingest.IIngestService).Assembly.GetType("Lakehouse.Ingest.CsvIngestor")!).ToList();
        Assert.Contains(typeof(Lakehouse.Catalog.ICatalog), used);
        Assert.Contains(typeof(Lakehouse.Catalog.ParquetFooter), used);
        Assert.Contains(typeof(Lakehouse.Storage.IObjectStore), used);
    }

    [Fact]
    public void Every_module_type_lives_in_its_modules_namespace()
    {
        var misplaced = typeof(ModuleNames).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && ns.StartsWith("Lakehouse.", StringComparison.Ordinal) && !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            .Select(t => t.Namespace!.Split('.')[1])
            .Where(module => module != "Common" && !AllowedDependencies.ContainsKey(module))
            .Distinct()
            .ToList();
        Assert.Empty(misplaced);
    }
}
