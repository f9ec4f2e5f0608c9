using System.Reflection;
using System.Text.RegularExpressions;
using Lakehouse.Common;
using Lakehouse.Tests.Infrastructure;

namespace Lakehouse.Tests.Host;

/// <summary>Modules talk to each other only through their public façades, and only along the designed edges.</summary>
public sealed partial class ArchitectureTests
{
    // docs/design.md: ingest → catalog + storage; query → catalog + storage; vectors → storage; catalog → storage.
    static readonly Dictionary<string, string[]> AllowedDependencies = new()
    {
        ["Storage"] = [],
        ["Catalog"] = ["Storage"],
        ["Ingest"] = ["Catalog", "Storage"],
        ["Query"] = ["Catalog", "Storage"],
        ["Vectors"] = ["Storage"],
    };

    static readonly string ModulesFolder = Path.Combine(RepoPaths.Root, "Lakehouse.Modules");

    static IEnumerable<(string Module, string File, string Text)> ModuleSources() =>
        AllowedDependencies.Keys
            .Where(module => Directory.Exists(Path.Combine(ModulesFolder, module)))
            .SelectMany(module => Directory.EnumerateFiles(Path.Combine(ModulesFolder, module), "*.cs", SearchOption.AllDirectories)
                .Select(file => (module, file, File.ReadAllText(file))));

    [Fact]
    public void Modules_use_only_the_modules_the_design_allows()
    {
        var violations = ModuleSources()
            .SelectMany(source => UsingModule().Matches(source.Text).Select(m => m.Groups[1].Value)
                .Where(used => used != source.Module && used != "Common" && !AllowedDependencies[source.Module].Contains(used))
                .Select(used => $"{Path.GetFileName(source.File)} ({source.Module}) uses Lakehouse.{used}"))
            .ToList();
        Assert.Empty(violations);
    }

    [Fact]
    public void No_module_names_another_modules_internal_types()
    {
        var internals = typeof(ModuleNames).Assembly.GetTypes()
            .Where(t => !t.IsVisible && !t.IsNested && t.Namespace is { } ns && ns.StartsWith("Lakehouse.", StringComparison.Ordinal)
                && !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            .Select(t => (Module: t.Namespace!.Split('.')[1], Name: t.Name.Split('`')[0]))
            .Where(t => AllowedDependencies.ContainsKey(t.Module))
            .ToList();
        Assert.NotEmpty(internals);
        var violations = ModuleSources()
            .SelectMany(source => internals
                .Where(type => type.Module != source.Module && Regex.IsMatch(source.Text, $@"\b{type.Name}\b"))
                .Select(type => $"{Path.GetFileName(source.File)} ({source.Module}) names {type.Module}'s internal {type.Name}"))
            .ToList();
        Assert.Empty(violations);
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

    [GeneratedRegex(@"^using Lakehouse\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingModule();
}
